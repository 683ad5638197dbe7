#include "beyond/models/detection/balanced_sampler.h"

#include <algorithm>

#include "beyond/core/error.h"

namespace beyond::models {

BalancedPositiveNegativeSampler::BalancedPositiveNegativeSampler(int64_t batch_size_per_image,
                                                                 double positive_fraction)
    : batch_size_(batch_size_per_image), positive_fraction_(positive_fraction) {
  BEYOND_CHECK(batch_size_per_image > 0, "BalancedPositiveNegativeSampler: batch_size_per_image must be > 0, got ",
               batch_size_per_image);
  BEYOND_CHECK(positive_fraction >= 0 && positive_fraction <= 1,
               "BalancedPositiveNegativeSampler: positive_fraction must be in [0, 1], got ", positive_fraction);
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> BalancedPositiveNegativeSampler::operator()(
    const std::vector<torch::Tensor>& labels, std::optional<at::Generator> generator) const {
  std::vector<torch::Tensor> pos_masks, neg_masks;
  pos_masks.reserve(labels.size());
  neg_masks.reserve(labels.size());
  const auto permutation = [&](int64_t n, const torch::Device& device) {
    const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
    return generator ? torch::randperm(n, *generator, options) : torch::randperm(n, options);
  };
  for (const auto& l : labels) {
    BEYOND_CHECK(l.dim() == 1, "BalancedPositiveNegativeSampler: labels must be [N] per image, got ", l.sizes());
    const auto positive = torch::nonzero(l >= 1).squeeze(1);
    const auto negative = torch::nonzero(l == 0).squeeze(1);
    // int() truncation as in torchvision.
    const auto num_pos = std::min<int64_t>(positive.numel(), static_cast<int64_t>(batch_size_ * positive_fraction_));
    const auto num_neg = std::min<int64_t>(negative.numel(), batch_size_ - num_pos);
    const auto perm_pos = permutation(positive.numel(), l.device()).slice(0, 0, num_pos);
    const auto perm_neg = permutation(negative.numel(), l.device()).slice(0, 0, num_neg);
    auto pos_mask = torch::zeros(l.sizes(), l.options().dtype(torch::kUInt8));
    auto neg_mask = torch::zeros(l.sizes(), l.options().dtype(torch::kUInt8));
    pos_mask.index_fill_(0, positive.index_select(0, perm_pos), 1);
    neg_mask.index_fill_(0, negative.index_select(0, perm_neg), 1);
    pos_masks.push_back(pos_mask);
    neg_masks.push_back(neg_mask);
  }
  return {pos_masks, neg_masks};
}

}  // namespace beyond::models
