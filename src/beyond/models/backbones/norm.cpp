#include "beyond/models/backbones/norm.h"

#include "beyond/core/error.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>


namespace beyond::models {

FrozenBatchNorm2dImpl::FrozenBatchNorm2dImpl(int64_t num_features_, double eps_)
    : num_features(num_features_), eps(eps_) {
  reset();
}

void FrozenBatchNorm2dImpl::reset() {
  weight = register_buffer("weight", torch::ones({num_features}));
  bias = register_buffer("bias", torch::zeros({num_features}));
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));
  running_var = register_buffer("running_var", torch::ones({num_features}));
}

std::pair<torch::Tensor, torch::Tensor> FrozenBatchNorm2dImpl::scale_shift() const {
  torch::Tensor scale = weight * (running_var + eps).rsqrt();
  return {scale, bias - running_mean * scale};
}

torch::Tensor FrozenBatchNorm2dImpl::forward(const torch::Tensor& x) {
  // The same operations in the same order as torchvision, so results agree bit for bit.
  auto [scale, shift] = scale_shift();
  return x * scale.reshape({1, -1, 1, 1}) + shift.reshape({1, -1, 1, 1});
}

NormKind parse_norm_kind(const std::string& name, const std::string& where) {
  if (name == "frozen" || name == "frozen_bn") return NormKind::Frozen;
  if (name == "bn" || name == "batch_norm") return NormKind::BatchNorm;
  throw UsageError(str(where, ": unknown norm '", name, "'; use 'frozen' (FrozenBatchNorm2d) or 'bn' (BatchNorm2d)"));
}

const char* norm_kind_name(NormKind kind) { return kind == NormKind::Frozen ? "frozen" : "bn"; }

torch::nn::AnyModule make_norm(NormKind kind, int64_t channels) {
  if (kind == NormKind::Frozen) return torch::nn::AnyModule(FrozenBatchNorm2d(channels));
  return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
}

torch::Tensor conv_norm(torch::nn::Conv2d& conv, torch::nn::AnyModule& norm, const torch::Tensor& x) {
  const auto frozen = std::dynamic_pointer_cast<FrozenBatchNorm2dImpl>(norm.ptr());
  const auto& o = conv->options;
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (!frozen || !padding || !c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode())) {
    return norm.forward(conv->forward(x));
  }
  auto [scale, shift] = frozen->scale_shift();
  const torch::Tensor bias = conv->bias.defined() ? conv->bias * scale + shift : shift;
  return torch::conv2d(x, conv->weight * scale.reshape({-1, 1, 1, 1}), bias, o.stride(), *padding, o.dilation(),
                       o.groups());
}

namespace {

/// {scale, shift} of a FrozenBatchNorm2d or an eval-mode BatchNorm2d.
std::pair<torch::Tensor, torch::Tensor> affine_of(const torch::nn::AnyModule& norm, const std::string& name) {
  if (auto frozen = std::dynamic_pointer_cast<FrozenBatchNorm2dImpl>(norm.ptr())) return frozen->scale_shift();
  auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(norm.ptr());
  BEYOND_CHECK(bn, "fold_norm: '", name, "' is neither FrozenBatchNorm2d nor BatchNorm2d");
  BEYOND_CHECK(!bn->is_training(), "fold_norm: BatchNorm2d '", name,
               "' is in training mode; call eval() before folding (folding uses the running statistics)");
  BEYOND_CHECK(bn->options.track_running_stats(), "fold_norm: BatchNorm2d '", name, "' has no running statistics");
  torch::Tensor scale = (bn->running_var + bn->options.eps()).rsqrt();
  if (bn->options.affine()) scale = scale * bn->weight;
  torch::Tensor shift = -bn->running_mean * scale;
  if (bn->options.affine()) shift = shift + bn->bias;
  return {scale, shift};
}

}  // namespace

std::pair<torch::nn::Conv2d, torch::nn::AnyModule> fold_norm(torch::nn::Module& owner, const std::string& conv_name,
                                                              const torch::nn::Conv2d& conv,
                                                              const std::string& norm_name,
                                                              const torch::nn::AnyModule& norm) {
  torch::NoGradGuard no_grad;
  auto [scale, shift] = affine_of(norm, norm_name);
  const auto& o = conv->options;
  torch::nn::Conv2d fused(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                              .stride(o.stride())
                              .padding(o.padding())
                              .dilation(o.dilation())
                              .groups(o.groups())
                              .padding_mode(o.padding_mode())
                              .bias(true));
  fused->to(conv->weight.device(), conv->weight.scalar_type());
  const auto layout = conv->weight.suggest_memory_format();
  fused->weight.set_data((conv->weight * scale.reshape({-1, 1, 1, 1})).contiguous(layout));
  torch::Tensor bias = conv->bias.defined() ? conv->bias * scale + shift : shift;
  fused->bias.set_data(bias.clone());
  fused->train(owner.is_training());
  owner.replace_module(conv_name, fused);
  torch::nn::AnyModule identity(torch::nn::Identity{});
  owner.replace_module(norm_name, identity.ptr());
  return {fused, identity};
}

}  // namespace beyond::models
