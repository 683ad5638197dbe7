#pragma once
// Argument checks shared by the op kernels. Messages name the argument and what it expected, so a
// caller sees "rois must be a [K, 5] tensor, got [12, 4]".
#include <ATen/ATen.h>

namespace beyond::ops::detail {

/// A floating point (float32 or float64) CPU tensor of `dim` dimensions.
void check_float_cpu(const at::Tensor& t, const char* op, const char* name, int64_t dim);
/// rois: [K, 5] (batch index, x1, y1, x2, y2), same dtype as `input`, batch indices in [0, batch).
void check_rois(const at::Tensor& rois, const at::Tensor& input, const char* op);
/// boxes: [N, 4] (x1, y1, x2, y2).
void check_boxes(const at::Tensor& boxes, const char* op, const char* name);
void check_pooled_size(int64_t pooled_height, int64_t pooled_width, const char* op);

}  // namespace beyond::ops::detail
