// The C++ API of the ops: typed calls through the dispatcher, so that C++ callers get the same
// kernels, autograd and future backends as Python's torch.ops.beyond.
#include <ATen/core/dispatch/Dispatcher.h>

#include "beyond/ops/box_ops.h"
#include "beyond/ops/conv_transpose.h"
#include "beyond/ops/roi_ops.h"

namespace beyond::ops {
namespace {
template <typename Signature>
c10::TypedOperatorHandle<Signature> op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Signature>();
}
}  // namespace

at::Tensor roi_align(const at::Tensor& input, const at::Tensor& rois, double spatial_scale, int64_t pooled_height,
                     int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  static auto handle =
      op<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, bool)>("beyond::roi_align");
  return handle.call(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned);
}

std::tuple<at::Tensor, at::Tensor> roi_pool(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                                            int64_t pooled_height, int64_t pooled_width) {
  static auto handle = op<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, double, int64_t,
                                                             int64_t)>("beyond::roi_pool");
  return handle.call(input, rois, spatial_scale, pooled_height, pooled_width);
}

at::Tensor boxes_to_rois(const std::vector<at::Tensor>& boxes) {
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const auto& b = boxes[i];
    TORCH_CHECK(b.dim() == 2 && b.size(1) == 4, "boxes[", i, "] must be a [K, 4] tensor (x1, y1, x2, y2), got ",
                b.sizes());
    TORCH_CHECK(b.scalar_type() == boxes[0].scalar_type(), "boxes[", i, "] has dtype ", b.scalar_type(),
                " but boxes[0] has ", boxes[0].scalar_type());
    parts.push_back(at::cat({at::full({b.size(0), 1}, static_cast<double>(i), b.options()), b}, 1));
  }
  if (parts.empty()) return at::zeros({0, 5});
  return at::cat(parts, 0);
}

at::Tensor roi_align(const at::Tensor& input, const std::vector<at::Tensor>& boxes, double spatial_scale,
                     int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  return roi_align(input, boxes_to_rois(boxes).to(input.scalar_type()), spatial_scale, pooled_height, pooled_width,
                   sampling_ratio, aligned);
}

std::tuple<at::Tensor, at::Tensor> roi_pool(const at::Tensor& input, const std::vector<at::Tensor>& boxes,
                                            double spatial_scale, int64_t pooled_height, int64_t pooled_width) {
  return roi_pool(input, boxes_to_rois(boxes).to(input.scalar_type()), spatial_scale, pooled_height, pooled_width);
}

at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&, double)>("beyond::nms");
  return handle.call(boxes, scores, iou_threshold);
}

at::Tensor batched_nms(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs,
                       double iou_threshold) {
  static auto handle =
      op<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, double)>("beyond::batched_nms");
  return handle.call(boxes, scores, idxs, iou_threshold);
}

at::Tensor box_iou(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&)>("beyond::box_iou");
  return handle.call(boxes1, boxes2);
}

std::tuple<at::Tensor, at::Tensor> soft_nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold,
                                            double sigma, double score_threshold, const std::string& method) {
  static auto handle = op<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, double, double,
                                                             double, c10::string_view)>("beyond::soft_nms");
  return handle.call(boxes, scores, iou_threshold, sigma, score_threshold, method);
}

at::Tensor box_area(const at::Tensor& boxes) {
  static auto handle = op<at::Tensor(const at::Tensor&)>("beyond::box_area");
  return handle.call(boxes);
}

at::Tensor generalized_box_iou(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&)>("beyond::generalized_box_iou");
  return handle.call(boxes1, boxes2);
}

at::Tensor clip_boxes_to_image(const at::Tensor& boxes, at::IntArrayRef size) {
  static auto handle = op<at::Tensor(const at::Tensor&, at::IntArrayRef)>("beyond::clip_boxes_to_image");
  return handle.call(boxes, size);
}

at::Tensor remove_small_boxes(const at::Tensor& boxes, double min_size) {
  static auto handle = op<at::Tensor(const at::Tensor&, double)>("beyond::remove_small_boxes");
  return handle.call(boxes, min_size);
}

at::Tensor encode_boxes(const at::Tensor& reference_boxes, const at::Tensor& proposals, at::ArrayRef<double> weights) {
  static auto handle =
      op<at::Tensor(const at::Tensor&, const at::Tensor&, at::ArrayRef<double>)>("beyond::encode_boxes");
  return handle.call(reference_boxes, proposals, weights);
}

at::Tensor decode_boxes(const at::Tensor& rel_codes, const at::Tensor& boxes, at::ArrayRef<double> weights,
                        double bbox_xform_clip) {
  static auto handle =
      op<at::Tensor(const at::Tensor&, const at::Tensor&, at::ArrayRef<double>, double)>("beyond::decode_boxes");
  return handle.call(rel_codes, boxes, weights, bbox_xform_clip);
}

at::Tensor conv_transpose2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                            at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                            int64_t groups, at::IntArrayRef dilation) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&,
                                     at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, int64_t, at::IntArrayRef)>(
      "beyond::conv_transpose2d");
  return handle.call(input, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt, stride, padding,
                     output_padding, groups, dilation);
}

namespace detail {
at::Tensor phase_interleave(const at::Tensor& phases, at::IntArrayRef stride, at::IntArrayRef offset,
                            at::IntArrayRef output_size, int64_t groups) {
  static auto handle = op<at::Tensor(const at::Tensor&, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, int64_t)>(
      "beyond::_phase_interleave");
  return handle.call(phases, stride, offset, output_size, groups);
}

at::Tensor phase_deinterleave(const at::Tensor& grad, at::IntArrayRef stride, at::IntArrayRef offset,
                              at::IntArrayRef phase_size, int64_t groups) {
  static auto handle = op<at::Tensor(const at::Tensor&, at::IntArrayRef, at::IntArrayRef, at::IntArrayRef, int64_t)>(
      "beyond::_phase_deinterleave");
  return handle.call(grad, stride, offset, phase_size, groups);
}

at::Tensor roi_align_backward(const at::Tensor& grad, const at::Tensor& rois, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width, int64_t batch_size, int64_t channels,
                              int64_t height, int64_t width, int64_t sampling_ratio, bool aligned) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, int64_t,
                                     int64_t, int64_t, int64_t, bool)>("beyond::_roi_align_backward");
  return handle.call(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size, channels, height, width,
                     sampling_ratio, aligned);
}

at::Tensor roi_pool_backward(const at::Tensor& grad, const at::Tensor& rois, const at::Tensor& argmax,
                             double spatial_scale, int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                             int64_t channels, int64_t height, int64_t width) {
  static auto handle = op<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, double, int64_t, int64_t,
                                     int64_t, int64_t, int64_t, int64_t)>("beyond::_roi_pool_backward");
  return handle.call(grad, rois, argmax, spatial_scale, pooled_height, pooled_width, batch_size, channels, height,
                     width);
}
}  // namespace detail

}  // namespace beyond::ops
