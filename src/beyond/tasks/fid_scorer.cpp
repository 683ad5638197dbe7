#include "beyond/tasks/fid_scorer.h"

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/tasks/fashion_data.h"

#ifndef BEYOND_INSTALL_WEIGHTS_DIR
#define BEYOND_INSTALL_WEIGHTS_DIR ""
#endif
#ifndef BEYOND_SOURCE_WEIGHTS_DIR
#define BEYOND_SOURCE_WEIGHTS_DIR ""
#endif

namespace beyond {
namespace fs = std::filesystem;

namespace {
std::vector<std::string> weight_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("BEYOND_WEIGHTS_DIR")) dirs.push_back(env);
  dirs.push_back("weights");
  dirs.push_back(BEYOND_INSTALL_WEIGHTS_DIR);
  dirs.push_back(BEYOND_SOURCE_WEIGHTS_DIR);
  return dirs;
}
}  // namespace

std::string find_weights(const std::string& name_or_path) {
  if (fs::exists(name_or_path) && !fs::is_directory(name_or_path)) return name_or_path;
  for (const auto& dir : weight_dirs()) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / (name_or_path + ".safetensors");
    if (fs::exists(p)) return p.string();
  }
  return "";
}

FidScorer::FidScorer(const std::string& classifier) {
  const std::string path = find_weights(classifier);
  if (path.empty()) {
    std::string searched;
    for (const auto& d : weight_dirs())
      if (!d.empty()) searched += " " + d;
    throw Error(str("FID classifier '", classifier, "' not found (searched:", searched,
                    "). Train it with `beyond train classifier --out runs/classifier` and copy "
                    "runs/classifier/model.safetensors to weights/fashion_cnn.safetensors"));
  }
  auto tensors = load_safetensors(path);
  const int64_t feature_dim = tensors.count("classifier.fc1.weight") ? tensors["classifier.fc1.weight"].size(0) : 128;
  net_ = models::SmallCnn(models::SmallCnnOptions(10, feature_dim));
  load_state_dict(*net_, tensors, "classifier.", path);
  net_->eval();
}

torch::Tensor FidScorer::features(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  return map_chunks(images, 1000, [&](const torch::Tensor& x) { return net_->features(x); });
}

eval::GaussianStats FidScorer::stats(const torch::Tensor& images) { return eval::gaussian_stats(features(images)); }

double FidScorer::fid(const torch::Tensor& images, const eval::GaussianStats& reference) {
  return eval::frechet_distance(stats(images), reference);
}

double FidScorer::accuracy(const torch::Tensor& images, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  auto logits = map_chunks(images, 1000, [&](const torch::Tensor& x) { return net_->forward(x); });
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

}  // namespace beyond
