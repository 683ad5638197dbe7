#pragma once
/// What a detector needs from a backbone: named feature maps (finest first) with one channel count,
/// and the inference-time tricks (norm folding, channels-last) behind one interface, so
/// GeneralizedRCNN holds a VGG-16 conv5, a ResNet+FPN or the small from-scratch backbone alike.
///
///   std::shared_ptr<beyond::models::Backbone> b = beyond::models::resnet_fpn_backbone(
///       beyond::models::ResNetOptions::resnet50());
///   b->eval(); b->fold_norm(); b->set_channels_last(true);
///   beyond::models::FeatureMaps f = b->forward(images);   // "0".."3","pool", each 256 channels
#include "beyond/models/backbones/fpn.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

class Backbone : public torch::nn::Module {
 public:
  /// Feature maps of an [N, 3, H, W] batch, finest first.
  FeatureMaps forward(const torch::Tensor& images);
  /// Channels of every returned map.
  virtual int64_t out_channels() const = 0;
  /// Folds every norm layer into the convolution before it (inference only; BatchNorm2d must be in
  /// eval mode). A no-op for backbones without norms.
  virtual void fold_norm() {}
  /// Runs convolutions in channels-last layout (weights converted now, inputs on each forward); on
  /// CPU oneDNN is often faster so. Returned maps are then channels-last too.
  void set_channels_last(bool on);
  bool channels_last() const { return channels_last_; }

 protected:
  virtual FeatureMaps features(const torch::Tensor& images) = 0;

 private:
  bool channels_last_ = false;
};

}  // namespace beyond::models
