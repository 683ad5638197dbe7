#include "beyond/models/backbones/vgg.h"

#include "beyond/core/error.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

namespace beyond::models {

Vgg16Backbone::Vgg16Backbone(Vgg16Options options_) : options(options_) {
  BEYOND_CHECK_USAGE(options.frozen_convs() >= 0 && options.frozen_convs() <= 13,
                     "vgg16: frozen_convs must be in [0, 13], got ", options.frozen_convs());
  // Configuration "D" of Simonyan & Zisserman; 0 marks a 2x2 max-pool. The fifth pool is left out.
  const int64_t plan[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512};
  features_ = register_module("features", torch::nn::Sequential());
  int64_t in = 3;
  int convs = 0;
  for (int64_t c : plan) {
    if (c == 0) {
      features_->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
      continue;
    }
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, c, 3).padding(1));
    torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
    torch::nn::init::zeros_(conv->bias);
    const bool frozen = convs++ < options.frozen_convs();
    conv->weight.requires_grad_(!frozen);
    conv->bias.requires_grad_(!frozen);
    features_->push_back(conv);
    features_->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    in = c;
  }
}

FeatureMaps Vgg16Backbone::features(const torch::Tensor& images) {
  FeatureMaps out;
  out.insert("0", features_->forward(images));
  return out;
}

}  // namespace beyond::models
