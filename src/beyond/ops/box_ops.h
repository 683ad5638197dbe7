#pragma once
/// Box operators over the dispatcher (schemas in ops/library.cpp). Boxes are [N, 4] (x1, y1, x2, y2).
///
///   auto keep = beyond::ops::nms(boxes, scores, 0.5);          // kept indices, by decreasing score
///   auto keep2 = beyond::ops::batched_nms(boxes, scores, labels, 0.5);   // no suppression across labels
#include <ATen/ATen.h>

#include <string>
#include <tuple>

namespace beyond::ops {

/// Greedy non-maximum suppression: indices of the kept boxes by decreasing score (ties: lower index
/// first). A box is suppressed when its IoU with a kept, higher-scoring box exceeds iou_threshold.
at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold);

/// NMS within each category of `idxs` (integer [N]); categories never suppress each other.
at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs,
                       double iou_threshold);

/// Soft-NMS (Bodla et al. 2017): scores of boxes overlapping a selected one decay instead of dropping
/// to zero. method: "linear" (s *= 1 - IoU when IoU > iou_threshold), "gaussian" (s *= exp(-IoU^2 / sigma))
/// or "hard" (plain NMS). Boxes under score_threshold are dropped. Returns the kept indices in order of
/// selection and their decayed scores.
std::tuple<at::Tensor, at::Tensor> soft_nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                                            double sigma, double score_threshold, const std::string& method);

/// Pairwise intersection over union: [N, M]. Not differentiable (use it for matching).
at::Tensor box_iou(const at::Tensor& boxes1, const at::Tensor& boxes2);

/// (x2 - x1) * (y2 - y1): [N].
at::Tensor box_area(const at::Tensor& boxes);
/// Generalized IoU (Rezatofighi et al. 2019): IoU - (hull - union) / hull, pairwise [N, M]; differentiable.
at::Tensor generalized_box_iou(const at::Tensor& boxes1, const at::Tensor& boxes2);
/// Boxes clamped into an image of size (height, width); any leading dimensions.
at::Tensor clip_boxes_to_image(const at::Tensor& boxes, at::IntArrayRef size);
/// Indices of the boxes whose width and height are both >= min_size.
at::Tensor remove_small_boxes(const at::Tensor& boxes, double min_size);

/// The box coder of the R-CNN family: regression targets (dx, dy, dw, dh) that move `proposals` onto
/// `reference_boxes`, scaled by weights (wx, wy, ww, wh): [N, 4].
at::Tensor encode_boxes(const at::Tensor& reference_boxes, const at::Tensor& proposals, at::ArrayRef<double> weights);
/// Inverse of encode_boxes for [N, 4 * classes] codes; dw and dh are clamped to bbox_xform_clip
/// (torchvision's default log(1000 / 16)) before exp. Returns [N, 4 * classes].
at::Tensor decode_boxes(const at::Tensor& rel_codes, const at::Tensor& boxes, at::ArrayRef<double> weights,
                        double bbox_xform_clip);

}  // namespace beyond::ops
