#include "beyond/models/detection/box_predictor.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

FastRCNNPredictorImpl::FastRCNNPredictorImpl(FastRCNNPredictorOptions options) : options(options) { reset(); }

void FastRCNNPredictorImpl::reset() {
  BEYOND_CHECK(options.in_channels() > 0, "FastRCNNPredictorOptions::in_channels must be positive, got ",
               options.in_channels());
  BEYOND_CHECK(options.num_classes() >= 2,
               "FastRCNNPredictorOptions::num_classes counts the background too and must be >= 2, got ",
               options.num_classes());
  cls_score_ = register_module("cls_score", torch::nn::Linear(options.in_channels(), options.num_classes()));
  bbox_pred_ = register_module("bbox_pred", torch::nn::Linear(options.in_channels(), 4 * options.num_classes()));
}

std::pair<torch::Tensor, torch::Tensor> FastRCNNPredictorImpl::forward(const torch::Tensor& x) {
  // torchvision accepts [K, C, 1, 1] (a convolutional head's output) as well as [K, C].
  BEYOND_CHECK(x.dim() == 2 || (x.dim() == 4 && x.size(2) == 1 && x.size(3) == 1),
               "FastRCNNPredictor expects [K, ", options.in_channels(), "] or [K, ", options.in_channels(),
               ", 1, 1] features, got ", x.sizes());
  BEYOND_CHECK(x.size(1) == options.in_channels(), "FastRCNNPredictor expects ", options.in_channels(),
               " channels per RoI, got ", x.sizes());
  const auto h = x.flatten(1);
  return {cls_score_->forward(h), bbox_pred_->forward(h)};
}

}  // namespace beyond::models
