#include "beyond/core/threads.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "beyond/core/log.h"

namespace beyond {

int configure_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  return torch::get_num_threads();
}

std::string loaded_blas_library() {
  // libtorch links the generic libblas.so.3; the alternatives system decides which file that is.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    if (path.find("libblas") != std::string::npos || path.find("libopenblas") != std::string::npos ||
        path.find("libmkl") != std::string::npos || path.find("libblis") != std::string::npos)
      return path;
  }
  return "";
}

bool on_reference_blas() {
  std::error_code ec;
  std::string path = loaded_blas_library();
  if (path.empty()) return false;
  std::string real = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) real = path;
  // Debian's reference BLAS lives in .../blas/libblas.so.3; OpenBLAS, BLIS and MKL live elsewhere.
  return real.find("/blas/libblas") != std::string::npos;
}

void warn_if_reference_blas() {
  if (!on_reference_blas()) return;
  log::warn("LibTorch is using the slow reference BLAS (" + loaded_blas_library() +
            "); matrix products run ~25x slower. Fix: sudo apt-get install libopenblas0-pthread");
}

}  // namespace beyond
