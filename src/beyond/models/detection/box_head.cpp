#include "beyond/models/detection/box_head.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

TwoMLPHeadImpl::TwoMLPHeadImpl(TwoMLPHeadOptions options) : options(options) { reset(); }

void TwoMLPHeadImpl::reset() {
  BEYOND_CHECK(options.in_features() > 0 && options.representation_size() > 0,
               "TwoMLPHeadOptions: in_features and representation_size must be positive, got in_features=",
               options.in_features(), " representation_size=", options.representation_size());
  fc6_ = register_module("fc6", torch::nn::Linear(options.in_features(), options.representation_size()));
  fc7_ = register_module("fc7", torch::nn::Linear(options.representation_size(), options.representation_size()));
}

torch::Tensor TwoMLPHeadImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() >= 1 && (x.size(0) == 0 || x.numel() / x.size(0) == options.in_features()),
               "TwoMLPHead expects [K, ...] RoI features with ", options.in_features(),
               " values per RoI (channels x pooled height x pooled width), got ", x.sizes());
  auto h = x.flatten(1);
  h = torch::relu(fc6_->forward(h));
  return torch::relu(fc7_->forward(h));
}

}  // namespace beyond::models
