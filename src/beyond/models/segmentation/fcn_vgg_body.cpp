#include "beyond/models/segmentation/fcn_vgg_body.h"

#include <torch/torch.h>

#include <limits>

#include "beyond/core/error.h"
#include "beyond/models/backbones/norm.h"

namespace beyond::models {

namespace detail {

torch::Tensor conv2d_as_gemm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3), c_out = weight.size(0), k = weight.size(2);
  namespace F = torch::nn::functional;
  // im2col of a channels-last map is slow; the map is small, so it is made NCHW first (and the result
  // goes back to the input's layout).
  auto cols = F::unfold(x.contiguous(), F::UnfoldFuncOptions({k, k}).padding(k / 2));  // [N, C k k, H W]
  cols = cols.transpose(0, 1).reshape({cols.size(1), n * h * w});
  const auto y = torch::addmm(bias.unsqueeze(1), weight.reshape({c_out, -1}), cols);  // [C_out, N H W]
  return y.view({c_out, n, h, w}).transpose(0, 1).contiguous(x.suggest_memory_format());
}

torch::Tensor max_pool_2x2_ceil(const torch::Tensor& x) {
  auto padded = x;
  if (x.size(2) % 2 == 1 || x.size(3) % 2 == 1)
    padded = torch::constant_pad_nd(x, {0, x.size(3) % 2, 0, x.size(2) % 2}, -std::numeric_limits<double>::infinity());
  auto cols = [&](int64_t row) {
    const auto r = padded.slice(2, row, padded.size(2), 2);
    return torch::maximum(r.slice(3, 0, r.size(3), 2), r.slice(3, 1, r.size(3), 2));
  };
  return torch::maximum(cols(0), cols(1));
}

}  // namespace detail

FcnVggBodyImpl::FcnVggBodyImpl(FcnVggOptions options_) : options(std::move(options_)) { reset(); }

void FcnVggBodyImpl::reset() {
  const auto& widths = options.widths();
  const auto& convs = options.convs();
  BEYOND_CHECK_USAGE(widths.size() == 5 && convs.size() == 5, "FCN VGG body: widths and convs need one value per "
                     "block (5), got ", widths.size(), " and ", convs.size());
  for (size_t b = 0; b < 5; ++b)
    BEYOND_CHECK_USAGE(widths[b] > 0 && convs[b] > 0, "FCN VGG body: widths and convs must be positive (block ",
                       b + 1, ": width ", widths[b], ", convs ", convs[b], ")");
  BEYOND_CHECK_USAGE(options.fc_channels() > 0 && options.fc6_kernel() > 0 && options.fc6_kernel() % 2 == 1,
                     "FCN VGG body: fc_channels must be positive and fc6_kernel odd, got ", options.fc_channels(),
                     " and ", options.fc6_kernel());
  BEYOND_CHECK_USAGE(options.dropout() >= 0 && options.dropout() < 1, "FCN VGG body: dropout must be in [0, 1), got ",
                     options.dropout());
  features_ = register_module("features", torch::nn::Sequential());
  pool_index_.clear();
  int64_t in = 3;
  for (size_t b = 0; b < 5; ++b) {
    for (int64_t i = 0; i < convs[b]; ++i) {
      torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, widths[b], 3).padding(1));
      torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
      torch::nn::init::zeros_(conv->bias);
      features_->push_back(conv);
      if (options.batch_norm()) features_->push_back(torch::nn::BatchNorm2d(widths[b]));
      features_->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
      in = widths[b];
    }
    pool_index_.push_back(features_->size());
    features_->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2).ceil_mode(true)));
  }
  const int64_t fc = options.fc_channels(), k = options.fc6_kernel();
  fc6_ = register_module("fc6", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, fc, k).padding(k / 2)));
  fc7_ = register_module("fc7", torch::nn::Conv2d(torch::nn::Conv2dOptions(fc, fc, 1)));
  for (auto* conv : {&fc6_, &fc7_}) {
    torch::nn::init::kaiming_normal_((*conv)->weight, 0, torch::kFanIn, torch::kReLU);
    torch::nn::init::zeros_((*conv)->bias);
  }
  drop6_ = register_module("drop6", torch::nn::Dropout(options.dropout()));
  drop7_ = register_module("drop7", torch::nn::Dropout(options.dropout()));
}

std::array<torch::Tensor, 3> FcnVggBodyImpl::forward(const torch::Tensor& images) {
  BEYOND_CHECK(images.dim() == 4 && images.size(1) == 3, "FCN VGG body: expected an [N, 3, H, W] batch, got ",
               images.sizes());
  std::array<torch::Tensor, 3> out;
  auto x = images;
  size_t pool = 0;
  size_t i = 0;
  // Without gradients, NCHW max-pooling as three elementwise maxima: ATen 1.13's NCHW max_pool2d
  // kernel (which also computes indices) took 40% of the small FCN's inference.
  const bool fast_pool = !torch::GradMode::is_enabled();
  for (auto it = features_->begin(); it != features_->end(); ++it, ++i) {
    const bool is_pool = pool < pool_index_.size() && i == pool_index_[pool];
    x = is_pool && fast_pool && x.is_contiguous() ? detail::max_pool_2x2_ceil(x) : it->forward(x);
    if (is_pool) {
      if (pool == 2 || pool == 3) out[pool - 2] = x;  // pool3, pool4
      ++pool;
    }
  }
  // oneDNN's direct convolution is slow for VGG-16's 7x7 fc6 on small maps (LibTorch 1.13, 1.8x
  // forward and backward against im2col + one BLAS product: bench/fcn_throughput.py).
  const auto fc6 = gemm_fc6() ? detail::conv2d_as_gemm(x, fc6_->weight, fc6_->bias) : fc6_(x);
  x = drop6_(torch::relu(fc6));
  out[2] = drop7_(torch::relu(fc7_(x)));
  return out;
}

void FcnVggBodyImpl::fold_norm() {
  BEYOND_CHECK(!is_training(), "FCN VGG body: fold_norm folds the running statistics; call eval() first");
  if (!options.batch_norm()) return;
  // A Sequential runs the modules it was built with, so the folded one is built anew (same indices).
  torch::nn::Sequential folded;
  const auto& layers = features_->children();
  for (size_t i = 0; i < layers.size(); ++i) {
    auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(layers[i]);
    auto bn = i + 1 < layers.size() ? std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(layers[i + 1]) : nullptr;
    if (conv && bn) {
      torch::nn::Module pair;  // fold_norm replaces the modules in an owner; this one is thrown away
      pair.register_module("conv", conv);
      pair.register_module("norm", bn);
      auto fused = models::fold_norm(pair, "conv", torch::nn::Conv2d(conv), "norm",
                                     torch::nn::AnyModule(torch::nn::BatchNorm2d(bn)));
      folded->push_back(fused.first);
      folded->push_back(fused.second);
      ++i;
    } else {
      folded->push_back(*(features_->begin() + static_cast<std::ptrdiff_t>(i)));
    }
  }
  folded->eval();
  features_ = replace_module("features", folded);
}

std::array<int64_t, 3> FcnVggBodyImpl::channels() const {
  return {options.widths()[2], options.widths()[3], options.fc_channels()};
}

std::map<std::string, torch::Tensor> vgg16_classifier_as_fc(const std::map<std::string, torch::Tensor>& torchvision,
                                                             const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : torchvision) {
    if (name == "classifier.0.weight") {
      BEYOND_CHECK(t.dim() == 2 && t.size(1) % 49 == 0, "vgg16_classifier_as_fc: classifier.0.weight must be [F, C * 7 * 7], got ",
                   t.sizes());
      out[prefix + "fc6.weight"] = t.reshape({t.size(0), t.size(1) / 49, 7, 7});
    } else if (name == "classifier.0.bias") {
      out[prefix + "fc6.bias"] = t;
    } else if (name == "classifier.3.weight") {
      out[prefix + "fc7.weight"] = t.reshape({t.size(0), t.size(1), 1, 1});
    } else if (name == "classifier.3.bias") {
      out[prefix + "fc7.bias"] = t;
    } else if (name.rfind("classifier.", 0) != 0) {
      out[prefix + name] = t;
    }
  }
  return out;
}

}  // namespace beyond::models
