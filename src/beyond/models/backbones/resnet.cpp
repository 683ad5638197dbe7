#include "beyond/models/backbones/resnet.h"

#include "beyond/core/error.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

namespace beyond::models {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  auto c = torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
  // torchvision's ResNet initialisation: He normal, fan_out, for ReLU.
  torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
  return c;
}

}  // namespace

ResNetOptions ResNetOptions::from_depth(int depth) {
  if (depth == 18) return resnet18();
  if (depth == 34) return resnet34();
  if (depth == 50) return resnet50();
  throw UsageError(str("resnet depth ", depth, " is not supported; use 18, 34 or 50"));
}

std::vector<int64_t> ResNetOptions::out_channels() const {
  std::vector<int64_t> out;
  for (int64_t w : widths_) out.push_back(w * expansion());
  return out;
}

DownsampleImpl::DownsampleImpl(int64_t in, int64_t out, int64_t stride, NormKind norm)
    : in_(in), out_(out), stride_(stride), norm_kind_(norm) {
  reset();
}

void DownsampleImpl::reset() {
  conv_ = register_module("0", conv(in_, out_, 1, stride_));
  norm_ = make_norm(norm_kind_, out_);
  register_module("1", norm_.ptr());
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return conv_norm(conv_, norm_, x); }

void DownsampleImpl::fold_norm() { std::tie(conv_, norm_) = models::fold_norm(*this, "0", conv_, "1", norm_); }

ResidualBlockImpl::ResidualBlockImpl(ResNetOptions::Block block, int64_t in, int64_t planes, int64_t stride,
                                     NormKind norm)
    : block_(block), in_(in), planes_(planes), stride_(stride), norm_kind_(norm) {
  reset();
}

int64_t ResidualBlockImpl::out_channels() const {
  return block_ == ResNetOptions::Block::Bottleneck ? planes_ * 4 : planes_;
}

void ResidualBlockImpl::reset() {
  convs_.clear();
  norms_.clear();
  if (block_ == ResNetOptions::Block::Basic) {
    convs_ = {conv(in_, planes_, 3, stride_), conv(planes_, planes_, 3, 1)};
  } else {
    convs_ = {conv(in_, planes_, 1, 1), conv(planes_, planes_, 3, stride_), conv(planes_, planes_ * 4, 1, 1)};
  }
  for (size_t i = 0; i < convs_.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    register_module("conv" + n, convs_[i]);
    norms_.push_back(make_norm(norm_kind_, convs_[i]->options.out_channels()));
    register_module("bn" + n, norms_.back().ptr());
  }
  if (stride_ != 1 || in_ != out_channels()) {
    downsample_ = register_module("downsample", Downsample(in_, out_channels(), stride_, norm_kind_));
  }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = x;
  for (size_t i = 0; i < convs_.size(); ++i) {
    out = conv_norm(convs_[i], norms_[i], out);
    if (i + 1 < convs_.size()) out.relu_();
  }
  out += downsample_ ? downsample_->forward(x) : x;
  return out.relu_();
}

void ResidualBlockImpl::fold_norm() {
  for (size_t i = 0; i < convs_.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    std::tie(convs_[i], norms_[i]) = models::fold_norm(*this, "conv" + n, convs_[i], "bn" + n, norms_[i]);
  }
  if (downsample_) downsample_->fold_norm();
}

ResNetImpl::ResNetImpl(ResNetOptions options_) : options(std::move(options_)) { reset(); }

void ResNetImpl::reset() {
  BEYOND_CHECK_USAGE(options.trainable_layers() >= 0 && options.trainable_layers() <= 5,
                     "resnet: trainable_layers must be in [0, 5], got ", options.trainable_layers());
  for (int64_t n : options.layers()) BEYOND_CHECK_USAGE(n >= 1, "resnet: every stage needs at least one block");
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(),
                                                                              options.stem_channels(), 7)
                                                          .stride(2)
                                                          .padding(3)
                                                          .bias(false)));
  torch::nn::init::kaiming_normal_(conv1_->weight, 0, torch::kFanOut, torch::kReLU);
  bn1_ = make_norm(options.norm(), options.stem_channels());
  register_module("bn1", bn1_.ptr());
  register_module("relu", torch::nn::ReLU(torch::nn::ReLUOptions(true)));
  maxpool_ = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  int64_t in = options.stem_channels();
  for (int s = 0; s < 4; ++s) {
    torch::nn::Sequential stage;
    for (int64_t b = 0; b < options.layers()[s]; ++b) {
      ResidualBlock block(options.block(), in, options.widths()[s], b == 0 && s > 0 ? 2 : 1, options.norm());
      in = block->out_channels();
      stage->push_back(block);
    }
    layers_[s] = register_module("layer" + std::to_string(s + 1), stage);
  }
  freeze_stages();
}

void ResNetImpl::freeze_stages() {
  static const char* kOrder[] = {"layer4", "layer3", "layer2", "layer1", "conv1"};
  const int n = options.trainable_layers();
  for (auto& p : named_parameters(true)) {
    bool train = n == 5;  // torchvision also trains bn1 then
    for (int i = 0; i < n && !train; ++i) train = p.key().rfind(kOrder[i], 0) == 0;
    p.value().requires_grad_(train);
  }
}

std::vector<torch::Tensor> ResNetImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == options.in_channels(), "resnet: expected an [N, ",
               options.in_channels(), ", H, W] batch, got ", x.sizes());
  torch::Tensor h = maxpool_->forward(conv_norm(conv1_, bn1_, x).relu_());
  std::vector<torch::Tensor> out;
  for (auto& stage : layers_) {
    h = stage->forward(h);
    out.push_back(h);
  }
  return out;
}

void ResNetImpl::fold_norm() {
  std::tie(conv1_, bn1_) = models::fold_norm(*this, "conv1", conv1_, "bn1", bn1_);
  for (auto& stage : layers_) {
    for (auto& child : stage->children()) child->as<ResidualBlockImpl>()->fold_norm();
  }
}

}  // namespace beyond::models
