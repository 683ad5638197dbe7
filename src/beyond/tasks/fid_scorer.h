#pragma once
/// FID for 28x28 grayscale images: the Fréchet distance between Gaussians fitted to the penultimate
/// features of the project's own Fashion-MNIST classifier (the usual adaptation of FID to MNIST-like
/// data, where Inception features do not fit). The classifier is trained by `beyond train classifier`
/// and shipped as weights/fashion_cnn.safetensors.
#include <string>

#include "beyond/eval/fid.h"
#include "beyond/models/classifiers/small_cnn.h"

namespace beyond {

/// Finds weights by name ("fashion_cnn" -> .../weights/fashion_cnn.safetensors) or returns an existing
/// path as is. Searches $BEYOND_WEIGHTS_DIR, ./weights, the installed share/beyond/weights and the
/// source tree's weights/. Returns "" if not found.
std::string find_weights(const std::string& name_or_path);

class FidScorer {
 public:
  /// Loads the classifier; beyond::Error naming the searched places if the weights are missing.
  explicit FidScorer(const std::string& classifier);
  /// Penultimate features of images in [0,1], [N,1,28,28].
  torch::Tensor features(const torch::Tensor& images);
  eval::GaussianStats stats(const torch::Tensor& images);
  double fid(const torch::Tensor& images, const eval::GaussianStats& reference);
  /// Test-set accuracy of the classifier itself (reported beside the FID).
  double accuracy(const torch::Tensor& images, const torch::Tensor& labels);

 private:
  models::SmallCnn net_{nullptr};
};

}  // namespace beyond
