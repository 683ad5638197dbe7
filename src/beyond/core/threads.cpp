#include "beyond/core/threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "beyond/core/log.h"

namespace beyond {

namespace {
/// Calls `name(int)` if the process has loaded a library that exports it. Looked up at run time
/// because which BLAS and which OpenMP runtime LibTorch uses is decided by the installation.
void call_if_loaded(const char* name, int value) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name))) fn(value);
}
}  // namespace

int configure_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  // OpenBLAS built for OpenMP shares LibTorch's threads and runs single-threaded inside its parallel
  // regions; the pthread build keeps a pool of its own that would compete with them.
  if (pthread_openblas_loaded()) call_if_loaded("openblas_set_num_threads", 1);
  return torch::get_num_threads();
}

void use_one_intra_op_thread_on_this_thread() {
  at::init_num_threads();  // LibTorch's lazy per-thread set-up would otherwise undo the line below
  call_if_loaded("omp_set_num_threads", 1);
}

bool pthread_openblas_loaded() {
  // Any mapping counts: libblas.so.3, liblapack.so.3 and libopenblas.so.0 may each come from another build.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find("/openblas-pthread/") != std::string::npos) return true;
  return false;
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
  if (pthread_openblas_loaded()) {
    log::info("OpenBLAS (pthread build) runs single-threaded beside LibTorch's threads; the OpenMP build "
              "is faster: apt-get install libopenblas0-openmp, then select it for libblas.so.3 with "
              "update-alternatives (scripts/setup.sh does both)");
    return;
  }
  if (!on_reference_blas()) return;
  log::warn("LibTorch is using the slow reference BLAS (" + loaded_blas_library() +
            "); matrix products run ~25x slower. Fix: sudo apt-get install libopenblas0-pthread");
}

}  // namespace beyond
