#pragma once
/// RoI Align over a feature pyramid: each box is pooled from the level that suits its size (FPN).
/// Same level assignment, scale inference and results as torchvision's MultiScaleRoIAlign.
///
///   beyond::ops::MultiScaleRoIAlign pooler(beyond::ops::MultiScaleRoIAlignOptions().output_size({7, 7}));
///   auto pooled = pooler.forward({p2, p3, p4, p5}, per_image_boxes, {{800, 1066}, {800, 1200}});
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/arg.h>

#include <vector>

namespace beyond::ops {

struct MultiScaleRoIAlignOptions {
  /// (height, width) of every pooled feature.
  TORCH_ARG(std::vector<int64_t>, output_size) = std::vector<int64_t>{7, 7};
  /// Bilinear samples per bin and axis; <= 0 adapts to the box size.
  TORCH_ARG(int64_t, sampling_ratio) = 2;
  /// A box of canonical_scale x canonical_scale pixels maps to canonical_level (FPN: 224 -> P4).
  TORCH_ARG(int64_t, canonical_scale) = 224;
  TORCH_ARG(int64_t, canonical_level) = 4;
};

class MultiScaleRoIAlign {
 public:
  explicit MultiScaleRoIAlign(MultiScaleRoIAlignOptions options = {});
  /// features: finest level first, each [N, C, H_l, W_l]; boxes: one [K_i, 4] tensor per image;
  /// image_sizes: (height, width) of each image. Returns [sum K_i, C, out_h, out_w].
  at::Tensor forward(const std::vector<at::Tensor>& features, const std::vector<at::Tensor>& boxes,
                     const std::vector<std::vector<int64_t>>& image_sizes) const;

 private:
  MultiScaleRoIAlignOptions options_;
};

}  // namespace beyond::ops
