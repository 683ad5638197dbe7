#include "beyond/models/backbones/fpn.h"

#include "beyond/core/error.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace beyond::models {
namespace {

/// torchvision wraps each FPN convolution in a Conv2dNormActivation (a Sequential), hence the ".0".
torch::nn::Sequential wrapped_conv(int64_t in, int64_t out, int64_t kernel) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
  torch::nn::init::kaiming_uniform_(conv->weight, 1);
  torch::nn::init::zeros_(conv->bias);
  return torch::nn::Sequential(conv);
}

}  // namespace

FeaturePyramidNetworkImpl::FeaturePyramidNetworkImpl(FpnOptions options_) : options(std::move(options_)) { reset(); }

void FeaturePyramidNetworkImpl::reset() {
  BEYOND_CHECK_USAGE(!options.in_channels_list().empty(), "fpn: in_channels_list is empty");
  BEYOND_CHECK_USAGE(options.out_channels() > 0, "fpn: out_channels must be positive");
  inner_blocks_ = register_module("inner_blocks", torch::nn::ModuleList());
  layer_blocks_ = register_module("layer_blocks", torch::nn::ModuleList());
  for (int64_t in : options.in_channels_list()) {
    BEYOND_CHECK_USAGE(in > 0, "fpn: in_channels must be positive, got ", in);
    inner_blocks_->push_back(wrapped_conv(in, options.out_channels(), 1));
    layer_blocks_->push_back(wrapped_conv(options.out_channels(), options.out_channels(), 3));
  }
}

FeatureMaps FeaturePyramidNetworkImpl::forward(const FeatureMaps& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  BEYOND_CHECK(n == static_cast<int64_t>(inner_blocks_->size()), "fpn: expected ", inner_blocks_->size(),
               " feature levels, got ", n);
  auto inner = [&](int64_t i) { return inner_blocks_->ptr<torch::nn::SequentialImpl>(i)->forward(x[i].value()); };
  auto layer = [&](int64_t i, const torch::Tensor& t) {
    return layer_blocks_->ptr<torch::nn::SequentialImpl>(i)->forward(t);
  };
  std::vector<torch::Tensor> results(n);
  torch::Tensor last_inner = inner(n - 1);
  results[n - 1] = layer(n - 1, last_inner);
  for (int64_t i = n - 2; i >= 0; --i) {
    torch::Tensor lateral = inner(i);
    namespace F = torch::nn::functional;
    torch::Tensor top_down = F::interpolate(
        last_inner, F::InterpolateFuncOptions()
                        .size(std::vector<int64_t>{lateral.size(-2), lateral.size(-1)})
                        .mode(torch::kNearest));
    last_inner = lateral + top_down;
    results[i] = layer(i, last_inner);
  }
  FeatureMaps out;
  for (int64_t i = 0; i < n; ++i) out.insert(x[i].key(), results[i]);
  if (options.last_level_max_pool()) {
    out.insert("pool", torch::max_pool2d(results[n - 1], {1, 1}, {2, 2}, {0, 0}));
  }
  return out;
}

}  // namespace beyond::models
