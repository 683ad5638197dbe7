#pragma once
/// FCN-32s, FCN-16s and FCN-8s (Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic
/// Segmentation", 2015) as one module with a skip count:
///   skips 0 (FCN-32s): score_fr on the stride-32 map, upsampled x32 to the image;
///   skips 1 (FCN-16s): score_fr upsampled x2 (upscore2) + score_pool4 on the stride-16 map, then x16;
///   skips 2 (FCN-8s):  that sum upsampled x2 (upscore_pool4) + score_pool3 on the stride-8 map, then x8.
/// Score layers are 1x1 convolutions, zero-initialised (as in the paper, so a net with more skips starts
/// out computing what the coarser one computes); upsampling layers are learnable transposed
/// convolutions initialised to bilinear interpolation (BilinearUpsample); the final one is `upscore`.
///
/// Backbones: a VGG-style body (FcnVggBody: pool3, pool4, fc7; full VGG-16 with torchvision's names or a
/// narrow version to train from scratch) or a ResNet (layer2, layer3, layer4: strides 8, 16, 32; torchvision
/// names under `backbone.`).
///
/// Alignment. Every map's cells sit at known pixels (GridGeometry): VGG's pooled cells at s*j + (s-1)/2,
/// ResNet's strided-convolution cells at s*j. Each upsampled map is cropped by
/// alignment_offset(source, target, K): x2 steps of the VGG body crop 1 (K = 4), the final x32 / x16 / x8
/// crop 16 / 8 / 4 (K = 2f) -- FCN's bilinear weights then reproduce align_corners=false interpolation
/// away from the borders; ResNet's grids use K = 2f - 1 and crop f - 1 (x2: K = 3, crop 1). Inputs of
/// any size work: every stride-s map has ceil(H / s) cells, so each crop fits (checked anyway).
///
///   beyond::models::Fcn fcn(beyond::models::FcnOptions(12).skips(2).vgg(small_vgg));
///   torch::Tensor logits = fcn(images);   // [N, 12, H, W] for normalised float images [N, 3, H, W]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cstdint>

#include "beyond/models/backbones/resnet.h"
#include "beyond/models/layers/bilinear_upsample.h"
#include "beyond/models/segmentation/fcn_vgg_body.h"

namespace beyond::models {

enum class FcnBackbone { Vgg, ResNet };

struct FcnOptions {
  explicit FcnOptions(int64_t num_classes) : num_classes_(num_classes) {}
  /// Output channels: classes including background.
  TORCH_ARG(int64_t, num_classes);
  /// 0 = FCN-32s, 1 = FCN-16s, 2 = FCN-8s.
  TORCH_ARG(int, skips) = 2;
  TORCH_ARG(FcnBackbone, backbone) = FcnBackbone::Vgg;
  TORCH_ARG(FcnVggOptions, vgg) = FcnVggOptions::vgg16();
  TORCH_ARG(ResNetOptions, resnet) = ResNetOptions::resnet50();
  /// false: the final upsampling stays bilinear (FCN fixed it; the x2 ones always learn).
  TORCH_ARG(bool, learn_final_upsampling) = true;
};

/// See the file comment. Submodules: backbone, score_fr, score_pool4 (skips >= 1), score_pool3
/// (skips = 2), upscore2 (skips >= 1), upscore_pool4 (skips = 2), upscore.
class FcnImpl : public torch::nn::Cloneable<FcnImpl> {
 public:
  explicit FcnImpl(FcnOptions options);
  void reset() override;
  /// Logits [N, num_classes, H, W] of normalised images [N, 3, H, W], H, W >= 1.
  torch::Tensor forward(const torch::Tensor& images);
  /// The backbone's stride-8, 16 and 32 maps (pool3, pool4, fc7 or layer2, layer3, layer4).
  std::array<torch::Tensor, 3> features(const torch::Tensor& images);
  /// Where the cells of the stride-`stride` maps (8, 16, 32) lie in the image.
  GridGeometry geometry(int64_t stride) const;
  /// Fuses `coarse` scores (grid `from`) into `fine` ones (grid `to`): up(coarse) cropped to fine's size
  /// at alignment_offset, plus fine.
  static torch::Tensor fuse(BilinearUpsample& up, const torch::Tensor& coarse, const GridGeometry& from,
                            const torch::Tensor& fine, const GridGeometry& to);
  /// For inference, after loading weights and eval(): folds the backbone's norms into its convolutions
  /// (the state_dict changes, so save nothing afterwards) and, with `channels_last`, runs the network
  /// channels-last (oneDNN's convolutions skip their layout conversions; the logits come out
  /// channels-last). Same logits up to float rounding (fcn_test).
  void optimize_for_inference(bool channels_last = true);
  /// Runs the network channels-last (or back): every convolution's weight in that layout, and forward
  /// converts the images. Training works too; the state_dict keeps its values.
  void set_channels_last(bool on);
  /// Whether forward converts the images to channels-last.
  bool channels_last() const { return channels_last_; }

  FcnOptions options;

 private:
  FcnVggBody vgg_{nullptr};
  ResNet resnet_{nullptr};
  torch::nn::Conv2d score_fr_{nullptr}, score_pool4_{nullptr}, score_pool3_{nullptr};
  BilinearUpsample upscore2_{nullptr}, upscore_pool4_{nullptr}, upscore_{nullptr};
  bool channels_last_ = false;
};
TORCH_MODULE(Fcn);

}  // namespace beyond::models
