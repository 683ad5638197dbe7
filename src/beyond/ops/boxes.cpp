// Box utilities and the box coder as composite ops: compositions of ATen ops, registered for
// CompositeImplicitAutograd so that autograd, every backend and TorchScript come for free.
// Definitions follow torchvision's (torchvision/ops/boxes.py, models/detection/_utils.py).
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>

#include "beyond/ops/box_ops.h"
#include "beyond/ops/checks.h"

namespace beyond::ops {
namespace {

void check_box_tensor(const at::Tensor& boxes, const char* op, const char* name) {
  TORCH_CHECK(boxes.defined() && boxes.dim() == 2 && boxes.size(1) == 4, op, ": ", name,
              " must be a [N, 4] tensor (x1, y1, x2, y2), got ", boxes.defined() ? boxes.sizes() : at::IntArrayRef{});
  TORCH_CHECK(boxes.is_floating_point(), op, ": ", name, " must be floating point, got ", boxes.scalar_type());
}

at::Tensor box_area_impl(const at::Tensor& boxes) {
  check_box_tensor(boxes, "box_area", "boxes");
  return (boxes.select(1, 2) - boxes.select(1, 0)) * (boxes.select(1, 3) - boxes.select(1, 1));
}

at::Tensor generalized_box_iou_impl(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  check_box_tensor(boxes1, "generalized_box_iou", "boxes1");
  check_box_tensor(boxes2, "generalized_box_iou", "boxes2");
  const auto a = boxes1.unsqueeze(1), b = boxes2.unsqueeze(0);  // [N,1,4], [1,M,4]
  const auto area1 = box_area_impl(boxes1).unsqueeze(1), area2 = box_area_impl(boxes2).unsqueeze(0);
  const auto inter_wh = (at::min(a.narrow(2, 2, 2), b.narrow(2, 2, 2)) - at::max(a.narrow(2, 0, 2), b.narrow(2, 0, 2)))
                            .clamp_min(0);
  const auto inter = inter_wh.select(2, 0) * inter_wh.select(2, 1);
  const auto uni = area1 + area2 - inter;
  const auto hull_wh = (at::max(a.narrow(2, 2, 2), b.narrow(2, 2, 2)) - at::min(a.narrow(2, 0, 2), b.narrow(2, 0, 2)))
                           .clamp_min(0);
  const auto hull = hull_wh.select(2, 0) * hull_wh.select(2, 1);
  return inter / uni - (hull - uni) / hull;
}

at::Tensor clip_boxes_to_image_impl(const at::Tensor& boxes, at::IntArrayRef size) {
  TORCH_CHECK(boxes.defined() && boxes.size(-1) == 4, "clip_boxes_to_image: boxes must end in a dimension of 4, got ",
              boxes.sizes());
  TORCH_CHECK(size.size() == 2, "clip_boxes_to_image: size must be (height, width)");
  const double height = static_cast<double>(size[0]), width = static_cast<double>(size[1]);
  const auto x = boxes.slice(-1, 0, 4, 2).clamp(0, width);
  const auto y = boxes.slice(-1, 1, 4, 2).clamp(0, height);
  return at::stack({x.select(-1, 0), y.select(-1, 0), x.select(-1, 1), y.select(-1, 1)}, -1);
}

at::Tensor remove_small_boxes_impl(const at::Tensor& boxes, double min_size) {
  check_box_tensor(boxes, "remove_small_boxes", "boxes");
  const auto ws = boxes.select(1, 2) - boxes.select(1, 0), hs = boxes.select(1, 3) - boxes.select(1, 1);
  return at::where((ws >= min_size).logical_and(hs >= min_size))[0];
}

void check_weights(at::ArrayRef<double> weights, const char* op) {
  TORCH_CHECK(weights.size() == 4, op, ": weights must be (wx, wy, ww, wh), got ", weights.size(), " values");
}

at::Tensor encode_boxes_impl(const at::Tensor& reference_boxes, const at::Tensor& proposals,
                             at::ArrayRef<double> weights) {
  check_box_tensor(reference_boxes, "encode_boxes", "reference_boxes");
  check_box_tensor(proposals, "encode_boxes", "proposals");
  check_weights(weights, "encode_boxes");
  const auto pw = proposals.select(1, 2) - proposals.select(1, 0), ph = proposals.select(1, 3) - proposals.select(1, 1);
  const auto px = proposals.select(1, 0) + 0.5 * pw, py = proposals.select(1, 1) + 0.5 * ph;
  const auto gw = reference_boxes.select(1, 2) - reference_boxes.select(1, 0);
  const auto gh = reference_boxes.select(1, 3) - reference_boxes.select(1, 1);
  const auto gx = reference_boxes.select(1, 0) + 0.5 * gw, gy = reference_boxes.select(1, 1) + 0.5 * gh;
  return at::stack({weights[0] * (gx - px) / pw, weights[1] * (gy - py) / ph, weights[2] * at::log(gw / pw),
                    weights[3] * at::log(gh / ph)},
                   1);
}

at::Tensor decode_boxes_impl(const at::Tensor& rel_codes, const at::Tensor& boxes, at::ArrayRef<double> weights,
                             double bbox_xform_clip) {
  check_box_tensor(boxes, "decode_boxes", "boxes");
  check_weights(weights, "decode_boxes");
  TORCH_CHECK(rel_codes.dim() == 2 && rel_codes.size(0) == boxes.size(0) && rel_codes.size(1) % 4 == 0,
              "decode_boxes: rel_codes must be [N, 4 * classes] with N = ", boxes.size(0), ", got ", rel_codes.sizes());
  const auto b = boxes.to(rel_codes.scalar_type());
  const auto w = b.select(1, 2) - b.select(1, 0), h = b.select(1, 3) - b.select(1, 1);
  const auto cx = (b.select(1, 0) + 0.5 * w).unsqueeze(1), cy = (b.select(1, 1) + 0.5 * h).unsqueeze(1);
  const auto dx = rel_codes.slice(1, 0, at::indexing::None, 4) / weights[0];
  const auto dy = rel_codes.slice(1, 1, at::indexing::None, 4) / weights[1];
  // The clamp keeps exp() from overflowing on wild predictions (log(1000 / 16) by default).
  const auto dw = (rel_codes.slice(1, 2, at::indexing::None, 4) / weights[2]).clamp_max(bbox_xform_clip);
  const auto dh = (rel_codes.slice(1, 3, at::indexing::None, 4) / weights[3]).clamp_max(bbox_xform_clip);
  const auto pcx = dx * w.unsqueeze(1) + cx, pcy = dy * h.unsqueeze(1) + cy;
  const auto pw = at::exp(dw) * w.unsqueeze(1), ph = at::exp(dh) * h.unsqueeze(1);
  // torchvision's form: half sizes computed as 0.5 * size in the box's dtype.
  const auto half_w = at::tensor(0.5, pcx.options()) * pw, half_h = at::tensor(0.5, pcy.options()) * ph;
  return at::stack({pcx - half_w, pcy - half_h, pcx + half_w, pcy + half_h}, 2).flatten(1);
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CompositeImplicitAutograd, m) {
  m.impl("box_area", TORCH_FN(box_area_impl));
  m.impl("generalized_box_iou", TORCH_FN(generalized_box_iou_impl));
  m.impl("clip_boxes_to_image", TORCH_FN(clip_boxes_to_image_impl));
  m.impl("remove_small_boxes", TORCH_FN(remove_small_boxes_impl));
  m.impl("encode_boxes", TORCH_FN(encode_boxes_impl));
  m.impl("decode_boxes", TORCH_FN(decode_boxes_impl));
}

}  // namespace beyond::ops
