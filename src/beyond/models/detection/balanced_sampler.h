#pragma once
/// Picks a fixed-size, class-balanced subset of labelled anchors or proposals per image for the
/// classification and box losses (Faster R-CNN: 256 anchors, at most half positive), as torchvision's
/// BalancedPositiveNegativeSampler does -- including its use of torch.randperm, so that with the same
/// seed the same elements are chosen.
///
///   beyond::models::BalancedPositiveNegativeSampler sampler(256, 0.5);
///   auto [pos, neg] = sampler(labels);   // labels: per image [N], >= 1 positive, 0 negative, < 0 ignored
///   // pos[i], neg[i]: uint8 masks [N]
#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <optional>
#include <utility>
#include <vector>

namespace beyond::models {

class BalancedPositiveNegativeSampler {
 public:
  /// positive_fraction in [0, 1]; batch_size_per_image > 0.
  BalancedPositiveNegativeSampler(int64_t batch_size_per_image, double positive_fraction);

  /// Per image: min(#positives, int(batch * fraction)) positives and min(#negatives, batch - that)
  /// negatives, chosen by a random permutation of each set (first positives, then negatives, image by
  /// image). `generator`: the random source; torch's global generator when empty (torchvision's choice).
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> operator()(
      const std::vector<torch::Tensor>& labels, std::optional<at::Generator> generator = std::nullopt) const;

  int64_t batch_size_per_image() const { return batch_size_; }
  double positive_fraction() const { return positive_fraction_; }

 private:
  int64_t batch_size_;
  double positive_fraction_;
};

}  // namespace beyond::models
