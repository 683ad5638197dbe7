#pragma once
/// VGG-16 up to conv5_3 + ReLU (stride 16, without the last max-pool), the conv body of Fast and
/// Faster R-CNN, with torchvision's `vgg16().features.N` parameter names (N = 0, 2, 5, ..., 28), so
/// a torchvision vgg16 state_dict loads as is. The single output level is "0" with 512 channels.
///
///   auto vgg = std::make_shared<beyond::models::Vgg16Backbone>(beyond::models::Vgg16Options().frozen_convs(4));
#include "beyond/models/backbones/backbone.h"

#include <torch/arg.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>

namespace beyond::models {

/// Options of `Vgg16Backbone`.
struct Vgg16Options {
  /// How many of the first convolutions keep requires_grad false: Fast R-CNN fine-tunes from conv3_1
  /// on, i.e. freezes 4 (conv1_1..conv2_2).
  TORCH_ARG(int, frozen_convs) = 0;
};

/// See the file comment. Submodule: features (Sequential of Conv2d, ReLU, MaxPool2d).
class Vgg16Backbone : public Backbone {
 public:
  explicit Vgg16Backbone(Vgg16Options options = {});
  int64_t out_channels() const override { return 512; }
  torch::nn::Sequential& features_module() { return features_; }

  Vgg16Options options;

 protected:
  FeatureMaps features(const torch::Tensor& images) override;

 private:
  torch::nn::Sequential features_{nullptr};
};

}  // namespace beyond::models
