#include "beyond/models/segmentation/fcn.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

FcnImpl::FcnImpl(FcnOptions options_) : options(std::move(options_)) { reset(); }

GridGeometry FcnImpl::geometry(int64_t stride) const {
  const double s = static_cast<double>(stride);
  return options.backbone() == FcnBackbone::Vgg ? GridGeometry{s, (s - 1) / 2} : GridGeometry{s, 0};
}

void FcnImpl::reset() {
  BEYOND_CHECK_USAGE(options.num_classes() >= 1, "FCN: num_classes must be >= 1, got ", options.num_classes());
  BEYOND_CHECK_USAGE(options.skips() >= 0 && options.skips() <= 2, "FCN: skips must be 0 (FCN-32s), 1 (FCN-16s) or "
                     "2 (FCN-8s), got ", options.skips());
  std::array<int64_t, 3> channels{};
  if (options.backbone() == FcnBackbone::Vgg) {
    vgg_ = register_module("backbone", FcnVggBody(options.vgg()));
    channels = vgg_->channels();
  } else {
    resnet_ = register_module("backbone", ResNet(options.resnet()));
    const auto c = options.resnet().out_channels();
    channels = {c[1], c[2], c[3]};
  }
  const int64_t k = options.num_classes();
  auto score = [&](const char* name, int64_t in) {
    auto conv = register_module(name, torch::nn::Conv2d(torch::nn::Conv2dOptions(in, k, 1)));
    torch::nn::init::zeros_(conv->weight);
    torch::nn::init::zeros_(conv->bias);
    return conv;
  };
  auto upsample = [&](const char* name, int64_t from, int64_t to, bool learnable) {
    const auto kernel = aligned_kernel_size(geometry(from), to == 1 ? GridGeometry{1, 0} : geometry(to));
    return register_module(name, BilinearUpsample(BilinearUpsampleOptions(k, from / to)
                                                      .kernel_size(kernel)
                                                      .learnable(learnable)));
  };
  score_fr_ = score("score_fr", channels[2]);
  if (options.skips() >= 1) {
    score_pool4_ = score("score_pool4", channels[1]);
    upscore2_ = upsample("upscore2", 32, 16, true);
  }
  if (options.skips() >= 2) {
    score_pool3_ = score("score_pool3", channels[0]);
    upscore_pool4_ = upsample("upscore_pool4", 16, 8, true);
  }
  const int64_t finest = 32 >> options.skips();
  upscore_ = upsample("upscore", finest, 1, options.learn_final_upsampling());
}

std::array<torch::Tensor, 3> FcnImpl::features(const torch::Tensor& images) {
  if (vgg_) return vgg_->forward(images);
  const auto c = resnet_->forward(images);
  return {c[1], c[2], c[3]};
}

torch::Tensor FcnImpl::fuse(BilinearUpsample& up, const torch::Tensor& coarse, const GridGeometry& from,
                            const torch::Tensor& fine, const GridGeometry& to) {
  const auto offset = alignment_offset(from, to, up->kernel_size());
  return crop_spatial(up->forward(coarse), offset, fine.size(2), fine.size(3), "FCN skip: upsampled scores") + fine;
}

torch::Tensor FcnImpl::forward(const torch::Tensor& images) {
  BEYOND_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) >= 1 && images.size(3) >= 1,
               "FCN: expected an [N, 3, H, W] batch of normalised float images, got ", images.sizes());
  const auto maps = features(channels_last_ ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images);
  auto scores = score_fr_(maps[2]);
  int64_t stride = 32;
  if (options.skips() >= 1) {
    scores = fuse(upscore2_, scores, geometry(32), score_pool4_(maps[1]), geometry(16));
    stride = 16;
  }
  if (options.skips() >= 2) {
    scores = fuse(upscore_pool4_, scores, geometry(16), score_pool3_(maps[0]), geometry(8));
    stride = 8;
  }
  const auto offset = alignment_offset(geometry(stride), {1, 0}, upscore_->kernel_size());
  return crop_spatial(upscore_(scores), offset, images.size(2), images.size(3), "FCN: upsampled scores");
}

void FcnImpl::optimize_for_inference(bool channels_last) {
  BEYOND_CHECK(!is_training(), "FCN: optimize_for_inference folds the norms' running statistics; call eval() first");
  if (vgg_) vgg_->fold_norm();
  if (resnet_) resnet_->fold_norm();
  set_channels_last(channels_last);
}

void FcnImpl::set_channels_last(bool on) {
  channels_last_ = on;
  torch::NoGradGuard no_grad;
  const auto layout = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  for (auto& module : modules()) {
    auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(module);
    // fc6 as a matrix product wants its weight [C_out, C k k] in memory as it is.
    if (conv && !(vgg_ && conv.get() == vgg_->gemm_fc6())) conv->weight.set_data(conv->weight.contiguous(layout));
  }
}

}  // namespace beyond::models
