// Every beyond op is declared here, once, with its schema; kernels register per backend in cpu/
// (and later cuda/), backward passes for the Autograd key in autograd/. Positional order follows
// torchvision's ops where it has them, so code moves between the two by changing the namespace.
#include <torch/library.h>

TORCH_LIBRARY(beyond, m) {
  m.def("roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, "
        "int sampling_ratio, bool aligned) -> Tensor");
  m.def("_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, int pooled_height, "
        "int pooled_width, int batch_size, int channels, int height, int width, int sampling_ratio, "
        "bool aligned) -> Tensor");
  m.def("roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width) "
        "-> (Tensor, Tensor)");
  m.def("_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, int pooled_height, "
        "int pooled_width, int batch_size, int channels, int height, int width) -> Tensor");
  m.def("nms(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor");
  m.def("batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold) -> Tensor");
  m.def("box_iou(Tensor boxes1, Tensor boxes2) -> Tensor");
  m.def("soft_nms(Tensor boxes, Tensor scores, float iou_threshold, float sigma, float score_threshold, "
        "str method) -> (Tensor, Tensor)");
  // Composite ops (ATen compositions, differentiable through them): ops/boxes.cpp, ops/anchors.cpp,
  // ops/multiscale_roi_align.cpp.
  m.def("box_area(Tensor boxes) -> Tensor");
  m.def("generalized_box_iou(Tensor boxes1, Tensor boxes2) -> Tensor");
  m.def("clip_boxes_to_image(Tensor boxes, int[2] size) -> Tensor");
  m.def("remove_small_boxes(Tensor boxes, float min_size) -> Tensor");
  m.def("encode_boxes(Tensor reference_boxes, Tensor proposals, float[4] weights) -> Tensor");
  m.def("decode_boxes(Tensor rel_codes, Tensor boxes, float[4] weights, float bbox_xform_clip) -> Tensor");
  m.def("roi_levels(Tensor rois, int k_min, int k_max, int canonical_scale, int canonical_level) -> Tensor");
  m.def("multiscale_roi_align(Tensor[] features, Tensor rois, int[2] image_size, int[2] output_size, "
        "int sampling_ratio, int canonical_scale, int canonical_level) -> Tensor");
  // ops/conv_transpose.cpp: ATen's conv_transpose2d semantics, computed as a phase conv2d.
  m.def("conv_transpose2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, "
        "int[2] output_padding=0, int groups=1, int[2] dilation=1) -> Tensor");
  m.def("_phase_interleave(Tensor phases, int[2] stride, int[2] offset, int[2] output_size, int groups) -> Tensor");
  m.def("_phase_deinterleave(Tensor grad, int[2] stride, int[2] offset, int[2] phase_size, int groups) -> Tensor");
  m.def("cell_anchors(int[] sizes, float[] aspect_ratios) -> Tensor");
  m.def("grid_anchors(Tensor cell_anchors, int[2] grid_size, int[2] stride) -> Tensor");
}
