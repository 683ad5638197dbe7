#pragma once
/// Box operators over the dispatcher (schemas in ops/library.cpp). Boxes are [N, 4] (x1, y1, x2, y2).
///
///   auto keep = beyond::ops::nms(boxes, scores, 0.5);          // kept indices, by decreasing score
///   auto keep2 = beyond::ops::batched_nms(boxes, scores, labels, 0.5);   // no suppression across labels
#include <ATen/ATen.h>

namespace beyond::ops {

/// Greedy non-maximum suppression: indices of the kept boxes by decreasing score (ties: lower index
/// first). A box is suppressed when its IoU with a kept, higher-scoring box exceeds iou_threshold.
at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold);

/// NMS within each category of `idxs` (integer [N]); categories never suppress each other.
at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs,
                       double iou_threshold);

/// Pairwise intersection over union: [N, M]. Not differentiable (use it for matching).
at::Tensor box_iou(const at::Tensor& boxes1, const at::Tensor& boxes2);

}  // namespace beyond::ops
