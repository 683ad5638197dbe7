#include "beyond/models/classifiers/small_cnn.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

SmallCnnImpl::SmallCnnImpl(SmallCnnOptions options) : options(options) { reset(); }

void SmallCnnImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.num_classes() > 0 && o.feature_dim() > 0,
               "SmallCnnOptions: num_classes and feature_dim must be positive, got num_classes=", o.num_classes(),
               " feature_dim=", o.feature_dim());
  BEYOND_CHECK(o.dropout() >= 0.0 && o.dropout() < 1.0, "SmallCnnOptions::dropout must be in [0,1), got ",
               o.dropout());
  BEYOND_CHECK(o.input_std() > 0.0, "SmallCnnOptions::input_std must be positive, got ", o.input_std());
  auto conv = [](int64_t in, int64_t out) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
  };
  conv1_ = register_module("conv1", conv(1, 32));
  bn1_ = register_module("bn1", nn::BatchNorm2d(32));
  conv2_ = register_module("conv2", conv(32, 32));
  bn2_ = register_module("bn2", nn::BatchNorm2d(32));
  conv3_ = register_module("conv3", conv(32, 64));
  bn3_ = register_module("bn3", nn::BatchNorm2d(64));
  conv4_ = register_module("conv4", conv(64, 64));
  bn4_ = register_module("bn4", nn::BatchNorm2d(64));
  fc1_ = register_module("fc1", nn::Linear(nn::LinearOptions(64 * 7 * 7, o.feature_dim()).bias(false)));
  bn5_ = register_module("bn5", nn::BatchNorm1d(o.feature_dim()));
  dropout_ = register_module("dropout", nn::Dropout(o.dropout()));
  fc2_ = register_module("fc2", nn::Linear(o.feature_dim(), o.num_classes()));
}

torch::Tensor SmallCnnImpl::features(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == 1 && x.size(2) == 28 && x.size(3) == 28,
               "SmallCnn expects x of shape [N,1,28,28] with values in [0,1], got ", x.sizes());
  BEYOND_CHECK(x.is_floating_point(), "SmallCnn expects floating point x, got ", x.scalar_type());
  torch::Tensor h = (x - options.input_mean()) / options.input_std();
  h = torch::relu(bn1_->forward(conv1_->forward(h)));
  h = torch::relu(bn2_->forward(conv2_->forward(h)));
  h = torch::max_pool2d(h, 2);
  h = torch::relu(bn3_->forward(conv3_->forward(h)));
  h = torch::relu(bn4_->forward(conv4_->forward(h)));
  h = torch::max_pool2d(h, 2);
  return torch::relu(bn5_->forward(fc1_->forward(h.flatten(1))));
}

torch::Tensor SmallCnnImpl::forward(const torch::Tensor& x) { return fc2_->forward(dropout_->forward(features(x))); }

}  // namespace beyond::models
