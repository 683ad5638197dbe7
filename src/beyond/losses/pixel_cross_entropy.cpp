#include "beyond/losses/pixel_cross_entropy.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::losses {

torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const PixelCrossEntropyOptions& options) {
  BEYOND_CHECK(logits.dim() == 4 && logits.is_floating_point(),
               "pixel_cross_entropy: logits must be a floating-point [N, C, H, W] tensor, got ", logits.sizes(), " ",
               logits.scalar_type());
  BEYOND_CHECK(labels.dim() == 3 && !labels.is_floating_point() && labels.size(0) == logits.size(0) &&
                   labels.size(1) == logits.size(2) && labels.size(2) == logits.size(3),
               "pixel_cross_entropy: labels must be an integer [N, H, W] tensor matching logits ", logits.sizes(),
               ", got ", labels.sizes(), " ", labels.scalar_type());
  const int64_t classes = logits.size(1);
  const auto target = labels.to(torch::kInt64);
  const auto counted = target != options.ignore_label();
  const auto bad = counted & ((target < 0) | (target >= classes));
  if (bad.any().item<bool>()) {
    const auto where = bad.nonzero()[0];
    throw Error(str("pixel_cross_entropy: label ", target.index({where[0], where[1], where[2]}).item<int64_t>(),
                    " at image ", where[0].item<int64_t>(), ", row ", where[1].item<int64_t>(), ", column ",
                    where[2].item<int64_t>(), " is outside [0, ", classes, ") and is not the ignore label ",
                    options.ignore_label()));
  }
  namespace F = torch::nn::functional;
  auto ce = F::CrossEntropyFuncOptions().ignore_index(options.ignore_label()).reduction(torch::kSum);
  auto denominator = counted.sum().to(logits.scalar_type());
  if (options.class_weights().defined()) {
    const auto& w = options.class_weights();
    BEYOND_CHECK(w.dim() == 1 && w.size(0) == classes && (w >= 0).all().item<bool>(),
                 "pixel_cross_entropy: class_weights must be [", classes, "] non-negative values, got ", w.sizes());
    const auto weights = w.to(logits.options());
    ce.weight(weights);
    denominator = weights.index({target.masked_select(counted)}).sum();
  }
  const auto total = F::cross_entropy(logits, target, ce);
  return total / denominator.clamp_min(1e-12);
}

}  // namespace beyond::losses
