#pragma once
/// ResNet-18/34/50 bodies with torchvision's parameter names (conv1, bn1, layer1..layer4 of
/// BasicBlock / Bottleneck with downsample.0/.1; no avgpool or fc), returning the C2..C5 maps
/// (strides 4, 8, 16, 32) a detector needs. The norm layer is selectable (FrozenBatchNorm2d for
/// fine-tuning, BatchNorm2d as torchvision builds with `weights=None`), stages can be frozen as in
/// torchvision's `_resnet_fpn_extractor`, and the same class with narrow widths is the small backbone
/// trained from scratch.
///
///   beyond::models::ResNet body(beyond::models::ResNetOptions::resnet50().trainable_layers(3));
///   std::vector<torch::Tensor> c = body->forward(images);   // {C2, C3, C4, C5}
#include "beyond/models/backbones/norm.h"

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::models {

/// One value per ResNet stage (layer1..layer4).
using StageArray = std::array<int64_t, 4>;

/// Options of `ResNet`. The named constructors give torchvision's resnet18/34/50.
struct ResNetOptions {
  enum class Block { Basic, Bottleneck };
  ResNetOptions(Block block = Block::Basic, StageArray layers = {2, 2, 2, 2})
      : block_(block), layers_(layers) {}
  static ResNetOptions resnet18() { return ResNetOptions(Block::Basic, {2, 2, 2, 2}); }
  static ResNetOptions resnet34() { return ResNetOptions(Block::Basic, {3, 4, 6, 3}); }
  static ResNetOptions resnet50() { return ResNetOptions(Block::Bottleneck, {3, 4, 6, 3}); }
  /// 18, 34 or 50; beyond::UsageError otherwise.
  static ResNetOptions from_depth(int depth);

  /// BasicBlock (two 3x3, expansion 1) or Bottleneck (1x1, strided 3x3, 1x1; expansion 4).
  TORCH_ARG(Block, block);
  /// Blocks per stage (layer1..layer4).
  TORCH_ARG(StageArray, layers);
  /// `planes` of each stage; stage outputs have planes * expansion channels.
  TORCH_ARG(StageArray, widths) = {64, 128, 256, 512};
  /// Channels of the 7x7 stem convolution (conv1).
  TORCH_ARG(int64_t, stem_channels) = 64;
  TORCH_ARG(int64_t, in_channels) = 3;
  TORCH_ARG(NormKind, norm) = NormKind::Frozen;
  /// How many stages from the top keep requires_grad, 0..5, as torchvision's
  /// `_resnet_fpn_extractor`: 1 = layer4, ... 4 = layer1..4, 5 = everything (also conv1 and bn1).
  TORCH_ARG(int, trainable_layers) = 5;

 public:

  int64_t expansion() const { return block_ == Block::Bottleneck ? 4 : 1; }
  /// Channels of C2..C5.
  std::vector<int64_t> out_channels() const;
};

/// The shortcut of a block whose shape changes: 1x1 strided conv ("0") and norm ("1").
class DownsampleImpl : public torch::nn::Cloneable<DownsampleImpl> {
 public:
  DownsampleImpl(int64_t in, int64_t out, int64_t stride, NormKind norm);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  void fold_norm();

 private:
  int64_t in_, out_, stride_;
  NormKind norm_kind_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::AnyModule norm_;
};
TORCH_MODULE(Downsample);

/// A BasicBlock or Bottleneck (torchvision v1.5: the stride sits on the 3x3 convolution).
class ResidualBlockImpl : public torch::nn::Cloneable<ResidualBlockImpl> {
 public:
  ResidualBlockImpl(ResNetOptions::Block block, int64_t in, int64_t planes, int64_t stride, NormKind norm);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  /// Folds every norm of the block into its convolution (see `fold_norm` in norm.h).
  void fold_norm();
  int64_t out_channels() const;

 private:
  ResNetOptions::Block block_;
  int64_t in_, planes_, stride_;
  NormKind norm_kind_;
  std::vector<torch::nn::Conv2d> convs_;   // conv1, conv2[, conv3]
  std::vector<torch::nn::AnyModule> norms_;  // bn1, bn2[, bn3]
  Downsample downsample_{nullptr};
};
TORCH_MODULE(ResidualBlock);

/// See the file comment. Submodules: conv1, bn1, relu, maxpool, layer1..layer4.
class ResNetImpl : public torch::nn::Cloneable<ResNetImpl> {
 public:
  explicit ResNetImpl(ResNetOptions options = {});
  void reset() override;
  /// {C2, C3, C4, C5} for an [N, in_channels, H, W] batch.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);
  /// Folds all norms into the convolutions, for inference (call eval() first with BatchNorm2d).
  void fold_norm();
  /// Re-applies `trainable_layers` (reset() does it too).
  void freeze_stages();

  ResNetOptions options;

 private:
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::AnyModule bn1_;
  torch::nn::MaxPool2d maxpool_{nullptr};
  std::array<torch::nn::Sequential, 4> layers_;
};
TORCH_MODULE(ResNet);

}  // namespace beyond::models
