#pragma once
/// Axis-aligned boxes of one image as an [N, 4] floating-point tensor of (x1, y1, x2, y2) in pixels:
/// the box representation every detection component (anchors, matcher, box coder, evaluator input)
/// shares, so conversions from the formats' conventions (COCO's x, y, w, h; DETR's cx, cy, w, h) happen
/// once, at the boundary.
///
///   beyond::Boxes b = beyond::Boxes::from_xywh(torch::tensor({{10., 20., 30., 40.}}));   // (10, 20, 40, 60)
///   auto keep = b.clip(480, 640).nonempty();          // bool [N]
///   beyond::Boxes kept = b[keep];                     // index by a bool or an int64 tensor
///
/// Boxes are values: every operation returns new Boxes (the tensor is shared only where nothing is
/// changed). Coordinates are continuous: a box covering pixels 0..9 is (0, 0, 10, 10), so the width is
/// x2 - x1 without COCO's old "+1".
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace beyond {

class Boxes {
 public:
  /// No boxes: a [0, 4] float tensor.
  Boxes();
  /// `xyxy` must be [N, 4] (or empty); integer tensors are converted to float32, float32/float64 kept.
  explicit Boxes(torch::Tensor xyxy);

  /// From (x, y, width, height), COCO's `bbox` convention.
  static Boxes from_xywh(const torch::Tensor& xywh);
  /// From (centre x, centre y, width, height).
  static Boxes from_cxcywh(const torch::Tensor& cxcywh);
  /// Concatenation of several sets of boxes (of one dtype) in order.
  static Boxes cat(const std::vector<Boxes>& boxes);

  const torch::Tensor& tensor() const { return xyxy_; }
  int64_t size() const { return xyxy_.size(0); }

  torch::Tensor to_xywh() const;
  torch::Tensor to_cxcywh() const;

  /// (x2 - x1) * (y2 - y1) per box: [N] (beyond::ops::box_area).
  torch::Tensor area() const;
  /// Boxes clamped into an image of height x width (beyond::ops::clip_boxes_to_image).
  Boxes clip(int64_t height, int64_t width) const;
  /// Bool [N]: true where width > threshold and height > threshold (after clipping, false marks a box
  /// that left the image).
  torch::Tensor nonempty(double threshold = 0) const;
  /// x scaled by sx, y by sy (what a resize does to its boxes).
  Boxes scale(double sx, double sy) const;
  /// Shifted by (dx, dy).
  Boxes translate(double dx, double dy) const;
  /// Bool [N]: true where the box lies inside a height x width image (with `boundary` pixels of slack).
  torch::Tensor inside(int64_t height, int64_t width, double boundary = 0) const;
  /// Pairwise IoU with `other`: [N, M] (beyond::ops::box_iou).
  torch::Tensor iou(const Boxes& other) const;

  /// The boxes selected by an int64 index tensor [M] or a bool mask [N].
  Boxes operator[](const torch::Tensor& index) const;
  /// One box as Boxes of length 1.
  Boxes operator[](int64_t i) const;

  Boxes to(const torch::Device& device) const { return Boxes(xyxy_.to(device)); }

 private:
  torch::Tensor xyxy_;
};

}  // namespace beyond
