#include "beyond/models/detection/fast_rcnn_loss.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

FastRCNNLosses fast_rcnn_loss(const torch::Tensor& class_logits, const torch::Tensor& box_regression,
                              const torch::Tensor& labels, const torch::Tensor& regression_targets,
                              double smooth_l1_beta) {
  BEYOND_CHECK(class_logits.dim() == 2, "fast_rcnn_loss: class_logits must be [K, C], got ", class_logits.sizes());
  const int64_t k = class_logits.size(0), c = class_logits.size(1);
  BEYOND_CHECK(box_regression.dim() == 2 && box_regression.size(0) == k && box_regression.size(1) == 4 * c,
               "fast_rcnn_loss: box_regression must be [K, 4 * C] = [", k, ", ", 4 * c, "], got ",
               box_regression.sizes());
  BEYOND_CHECK(labels.dim() == 1 && labels.size(0) == k && labels.scalar_type() == torch::kLong,
               "fast_rcnn_loss: labels must be int64 [K] with K = ", k, ", got ", labels.scalar_type(), " ",
               labels.sizes());
  BEYOND_CHECK(regression_targets.dim() == 2 && regression_targets.size(0) == k && regression_targets.size(1) == 4,
               "fast_rcnn_loss: regression_targets must be [K, 4] with K = ", k, ", got ",
               regression_targets.sizes());
  FastRCNNLosses losses;
  losses.classifier = torch::cross_entropy_loss(class_logits, labels);
  const auto positive = torch::where(labels > 0)[0];
  const auto per_class = box_regression.reshape({k, c, 4});
  const auto predicted = per_class.index({positive, labels.index({positive})});
  losses.box_reg = torch::smooth_l1_loss(predicted, regression_targets.index({positive}), at::Reduction::Sum,
                                         smooth_l1_beta) /
                   static_cast<double>(labels.numel());
  return losses;
}

}  // namespace beyond::models
