#pragma once
/// Turns per-image boxes into fixed-size features for the box head, in one of the three ways of the
/// R-CNN lineage:
///   - kMultiScaleRoIAlign: Faster R-CNN with FPN (torchvision's default): each box is pooled by
///     RoI Align from the pyramid level that suits its size; levels are `featmap_names` (finest first),
///     scales inferred from the feature sizes, sampling_ratio 2, aligned = false, as torchvision.
///   - kRoIPool: Fast R-CNN (Girshick 2015): max RoI pooling on one map (`featmap_names[0]`), e.g. VGG-16
///     conv5 at spatial_scale 1/16.
///   - kRoIAlign: RoI Align (He et al. 2017) on one map at spatial_scale.
///
///   beyond::models::BoxPooler fpn;   // defaults: levels "0".."3", 7x7, sampling ratio 2
///   beyond::models::BoxPooler fast(beyond::models::BoxPoolerOptions()
///                                      .type(beyond::models::BoxPoolerType::kRoIPool)
///                                      .featmap_names({"conv5"}).spatial_scale(1.0 / 16));
///   torch::Tensor pooled = fpn.forward(features, proposals, image_sizes);   // [sum K_i, C, 7, 7]
#include <torch/arg.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "beyond/models/feature_maps.h"

namespace beyond::models {

enum class BoxPoolerType { kMultiScaleRoIAlign, kRoIAlign, kRoIPool };

struct BoxPoolerOptions {
  TORCH_ARG(BoxPoolerType, type) = BoxPoolerType::kMultiScaleRoIAlign;
  /// The feature maps pooled from: the pyramid levels, finest first (multi-scale), or the one map.
  TORCH_ARG(std::vector<std::string>, featmap_names) = std::vector<std::string>{"0", "1", "2", "3"};
  /// Height and width of each pooled feature.
  TORCH_ARG(int64_t, output_size) = 7;
  /// RoI Align samples per bin and axis (<= 0: adaptive); unused by RoI pooling.
  TORCH_ARG(int64_t, sampling_ratio) = 2;
  /// Feature-map pixels per image pixel for the single-map poolers (1/16 for a stride-16 map); the
  /// multi-scale pooler infers its scales.
  TORCH_ARG(double, spatial_scale) = 1.0 / 16;
  /// Half-pixel alignment of the single-map RoI Align (torchvision's box heads: false).
  TORCH_ARG(bool, aligned) = false;
};

class BoxPooler {
 public:
  explicit BoxPooler(BoxPoolerOptions options = {});
  /// features: must hold every name of featmap_names; boxes: one [K_i, 4] per image in image
  /// coordinates; image_sizes: (height, width) of each image. Returns [sum K_i, C, out, out].
  torch::Tensor forward(const FeatureMaps& features, const std::vector<torch::Tensor>& boxes,
                        const std::vector<std::array<int64_t, 2>>& image_sizes) const;
  const BoxPoolerOptions& options() const { return options_; }

 private:
  BoxPoolerOptions options_;
};

}  // namespace beyond::models
