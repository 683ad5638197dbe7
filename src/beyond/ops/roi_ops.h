#pragma once
/// RoI pooling and RoI Align: the C++ API over the dispatcher (schemas in ops/library.cpp). The same
/// ops are `torch.ops.beyond.roi_align(...)` in Python after `torch.ops.load_library("libbeyond_ops.so")`.
///
///   // rois: [K, 5] = (batch index, x1, y1, x2, y2) in input-image coordinates
///   auto pooled = beyond::ops::roi_align(features, rois, 1.0 / 16, 7, 7, /*sampling_ratio=*/2, /*aligned=*/true);
///
/// Semantics and arguments are torchvision's: spatial_scale maps box coordinates onto the feature map,
/// sampling_ratio <= 0 picks ceil(roi size / pooled size) samples per bin, aligned shifts the boxes by
/// half a pixel (the correct alignment; false reproduces the original Mask R-CNN / Detectron behaviour).
#include <ATen/ATen.h>

#include <tuple>
#include <vector>

namespace beyond::ops {

/// Bilinear RoI Align, averaged per bin: [K, C, pooled_height, pooled_width].
at::Tensor roi_align(const at::Tensor& input, const at::Tensor& rois, double spatial_scale, int64_t pooled_height,
                     int64_t pooled_width, int64_t sampling_ratio = -1, bool aligned = false);

/// Max RoI pooling (Fast R-CNN): output [K, C, pooled_height, pooled_width] and the argmax (flat
/// position in the input plane, -1 for empty bins) used by the backward pass.
std::tuple<at::Tensor, at::Tensor> roi_pool(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                                            int64_t pooled_height, int64_t pooled_width);

/// Boxes given per image ([K_i, 4] each, image i of the batch) as the [K, 5] rois the ops take.
at::Tensor boxes_to_rois(const std::vector<at::Tensor>& boxes);

/// roi_align / roi_pool on per-image box lists, like torchvision's `boxes: List[Tensor]` form.
at::Tensor roi_align(const at::Tensor& input, const std::vector<at::Tensor>& boxes, double spatial_scale,
                     int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio = -1, bool aligned = false);
std::tuple<at::Tensor, at::Tensor> roi_pool(const at::Tensor& input, const std::vector<at::Tensor>& boxes,
                                            double spatial_scale, int64_t pooled_height, int64_t pooled_width);

namespace detail {
at::Tensor roi_align_backward(const at::Tensor& grad, const at::Tensor& rois, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width, int64_t batch_size, int64_t channels,
                              int64_t height, int64_t width, int64_t sampling_ratio, bool aligned);
at::Tensor roi_pool_backward(const at::Tensor& grad, const at::Tensor& rois, const at::Tensor& argmax,
                             double spatial_scale, int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                             int64_t channels, int64_t height, int64_t width);
}  // namespace detail

}  // namespace beyond::ops
