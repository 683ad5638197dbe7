#include "beyond/models/detection/rpn_head.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

#include "beyond/core/error.h"

namespace beyond::models {

namespace {

/// torchvision's Conv2dNormActivation without a norm: a Sequential (conv, ReLU), hence the names
/// "conv.<i>.0.weight". A plain Sequential cannot nest in another (templated forward), this one can.
class ConvReLUImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(ConvReLU);

}  // namespace

RPNHeadImpl::RPNHeadImpl(int64_t in_channels, int64_t num_anchors, int64_t conv_depth)
    : in_channels_(in_channels), num_anchors_(num_anchors), conv_depth_(conv_depth) {
  BEYOND_CHECK(in_channels > 0 && num_anchors > 0 && conv_depth >= 0, "RPNHead: in_channels (", in_channels,
               ") and num_anchors (", num_anchors, ") must be > 0 and conv_depth (", conv_depth, ") >= 0");
  reset();
}

void RPNHeadImpl::reset() {
  namespace nn = torch::nn;
  conv_ = nn::Sequential();
  for (int64_t i = 0; i < conv_depth_; ++i) {
    conv_->push_back(ConvReLU(nn::Conv2d(nn::Conv2dOptions(in_channels_, in_channels_, 3).padding(1)),
                                    nn::ReLU(nn::ReLUOptions(true))));
  }
  conv_ = register_module("conv", conv_);
  cls_logits_ = register_module("cls_logits", nn::Conv2d(nn::Conv2dOptions(in_channels_, num_anchors_, 1)));
  bbox_pred_ = register_module("bbox_pred", nn::Conv2d(nn::Conv2dOptions(in_channels_, 4 * num_anchors_, 1)));
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::normal_(conv->weight, 0.0, 0.01);
      nn::init::zeros_(conv->bias);
    }
  }
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> RPNHeadImpl::forward(
    const std::vector<torch::Tensor>& features) {
  std::vector<torch::Tensor> logits, deltas;
  logits.reserve(features.size());
  deltas.reserve(features.size());
  for (size_t level = 0; level < features.size(); ++level) {
    const auto& f = features[level];
    BEYOND_CHECK(f.dim() == 4 && f.size(1) == in_channels_, "RPNHead: feature level ", level, " must be [N, ",
                 in_channels_, ", H, W], got ", f.sizes());
    const auto t = conv_depth_ > 0 ? conv_->forward(f) : f;  // an empty Sequential cannot run
    logits.push_back(cls_logits_->forward(t));
    deltas.push_back(bbox_pred_->forward(t));
  }
  return {logits, deltas};
}

}  // namespace beyond::models
