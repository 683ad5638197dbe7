#pragma once
/// A ResNet body with an FPN on its C2..C5 maps: levels "0".."3" (strides 4..32) and "pool"
/// (stride 64), with the state_dict keys of torchvision's `fasterrcnn_resnet50_fpn().backbone`
/// (`body.*`, `fpn.*`). Also the small backbone for training from scratch on a few CPU cores: the
/// same structure with one narrow BasicBlock per stage and plain BatchNorm.
///
///   auto r50 = beyond::models::resnet_fpn_backbone(beyond::models::ResNetOptions::resnet50());
///   auto small = beyond::models::small_fpn_backbone(beyond::models::SmallBackboneOptions().fpn_channels(96));
#include "beyond/models/backbones/backbone.h"
#include "beyond/models/backbones/fpn.h"
#include "beyond/models/backbones/resnet.h"

#include <torch/arg.h>

#include <array>
#include <cstdint>
#include <memory>

namespace beyond::models {

/// See the file comment. Submodules: body (ResNet), fpn (FeaturePyramidNetwork).
class BackboneWithFPN : public Backbone {
 public:
  BackboneWithFPN(ResNetOptions body, int64_t out_channels = 256);
  int64_t out_channels() const override { return fpn_->options.out_channels(); }
  void fold_norm() override { body_->fold_norm(); }
  ResNet& body() { return body_; }
  FeaturePyramidNetwork& fpn() { return fpn_; }

 protected:
  FeatureMaps features(const torch::Tensor& images) override;

 private:
  ResNet body_{nullptr};
  FeaturePyramidNetwork fpn_{nullptr};
};

/// torchvision's `resnet_fpn_backbone` / `fasterrcnn_resnet50_fpn(...).backbone` for `body`
/// (its norm and trainable_layers included).
std::shared_ptr<BackboneWithFPN> resnet_fpn_backbone(const ResNetOptions& body, int64_t out_channels = 256);

/// Options of the small from-scratch backbone (about 1.5M parameters with the defaults).
struct SmallBackboneOptions {
  /// `planes` of the four stages (one BasicBlock each); the stem has widths[0] channels.
  TORCH_ARG(StageArray, widths) = {24, 48, 96, 192};
  /// Blocks per stage.
  TORCH_ARG(StageArray, blocks) = {1, 1, 1, 1};
  /// Channels of every FPN level.
  TORCH_ARG(int64_t, fpn_channels) = 96;
  /// BatchNorm2d to train from scratch; Frozen once trained, for fine-tuning.
  TORCH_ARG(NormKind, norm) = NormKind::BatchNorm;

 public:

  ResNetOptions body() const;
};

std::shared_ptr<BackboneWithFPN> small_fpn_backbone(const SmallBackboneOptions& options = {});

}  // namespace beyond::models
