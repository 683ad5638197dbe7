// Backward passes of roi_align and roi_pool, registered for the Autograd key. The backward itself
// calls a dispatched op (_roi_align_backward / _roi_pool_backward), so other backends only register
// kernels. Second derivatives are refused explicitly rather than silently wrong.
#include <torch/autograd.h>
#include <torch/library.h>

#include "beyond/ops/roi_ops.h"

namespace beyond::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// The backward op as a Function of its own, so that differentiating it again fails clearly.
class RoiAlignBackwardFunction : public torch::autograd::Function<RoiAlignBackwardFunction> {
 public:
  static variable_list forward(AutogradContext*, const at::Tensor& grad, const at::Tensor& rois,
                               double spatial_scale, int64_t pooled_height, int64_t pooled_width, int64_t batch,
                               int64_t channels, int64_t height, int64_t width, int64_t sampling_ratio,
                               bool aligned) {
    at::AutoDispatchBelowADInplaceOrView guard;
    return {detail::roi_align_backward(grad, rois, spatial_scale, pooled_height, pooled_width, batch, channels,
                                       height, width, sampling_ratio, aligned)};
  }
  static variable_list backward(AutogradContext*, const variable_list&) {
    TORCH_CHECK(false, "beyond::roi_align: double backward is not supported");
  }
};

class RoiAlignFunction : public torch::autograd::Function<RoiAlignFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& rois,
                               double spatial_scale, int64_t pooled_height, int64_t pooled_width,
                               int64_t sampling_ratio, bool aligned) {
    ctx->saved_data["spatial_scale"] = spatial_scale;
    ctx->saved_data["pooled_height"] = pooled_height;
    ctx->saved_data["pooled_width"] = pooled_width;
    ctx->saved_data["sampling_ratio"] = sampling_ratio;
    ctx->saved_data["aligned"] = aligned;
    ctx->saved_data["input_shape"] = input.sizes();
    ctx->save_for_backward({rois});
    at::AutoDispatchBelowADInplaceOrView guard;
    return {roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned)};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grad_output) {
    const auto rois = ctx->get_saved_variables()[0];
    const auto shape = ctx->saved_data["input_shape"].toIntVector();
    auto grad_input = RoiAlignBackwardFunction::apply(
        grad_output[0], rois, ctx->saved_data["spatial_scale"].toDouble(), ctx->saved_data["pooled_height"].toInt(),
        ctx->saved_data["pooled_width"].toInt(), shape[0], shape[1], shape[2], shape[3],
        ctx->saved_data["sampling_ratio"].toInt(), ctx->saved_data["aligned"].toBool());
    return {grad_input[0], at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }

};

class RoiPoolBackwardFunction : public torch::autograd::Function<RoiPoolBackwardFunction> {
 public:
  static variable_list forward(AutogradContext*, const at::Tensor& grad, const at::Tensor& rois,
                               const at::Tensor& argmax, double spatial_scale, int64_t pooled_height,
                               int64_t pooled_width, int64_t batch, int64_t channels, int64_t height, int64_t width) {
    at::AutoDispatchBelowADInplaceOrView guard;
    return {detail::roi_pool_backward(grad, rois, argmax, spatial_scale, pooled_height, pooled_width, batch, channels,
                                      height, width)};
  }
  static variable_list backward(AutogradContext*, const variable_list&) {
    TORCH_CHECK(false, "beyond::roi_pool: double backward is not supported");
  }
};

class RoiPoolFunction : public torch::autograd::Function<RoiPoolFunction> {
 public:
  static variable_list forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& rois,
                               double spatial_scale, int64_t pooled_height, int64_t pooled_width) {
    ctx->saved_data["spatial_scale"] = spatial_scale;
    ctx->saved_data["pooled_height"] = pooled_height;
    ctx->saved_data["pooled_width"] = pooled_width;
    ctx->saved_data["input_shape"] = input.sizes();
    at::AutoDispatchBelowADInplaceOrView guard;
    auto [output, argmax] = roi_pool(input, rois, spatial_scale, pooled_height, pooled_width);
    ctx->save_for_backward({rois, argmax});
    ctx->mark_non_differentiable({argmax});
    return {output, argmax};
  }

  static variable_list backward(AutogradContext* ctx, const variable_list& grad_output) {
    const auto saved = ctx->get_saved_variables();
    const auto shape = ctx->saved_data["input_shape"].toIntVector();
    auto grad_input = RoiPoolBackwardFunction::apply(
        grad_output[0], saved[0], saved[1], ctx->saved_data["spatial_scale"].toDouble(),
        ctx->saved_data["pooled_height"].toInt(), ctx->saved_data["pooled_width"].toInt(), shape[0], shape[1],
        shape[2], shape[3]);
    return {grad_input[0], at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor roi_align_autograd(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                              int64_t pooled_height, int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  return RoiAlignFunction::apply(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned)[0];
}

std::tuple<at::Tensor, at::Tensor> roi_pool_autograd(const at::Tensor& input, const at::Tensor& rois,
                                                     double spatial_scale, int64_t pooled_height,
                                                     int64_t pooled_width) {
  auto out = RoiPoolFunction::apply(input, rois, spatial_scale, pooled_height, pooled_width);
  return {out[0], out[1]};
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, Autograd, m) {
  m.impl("roi_align", TORCH_FN(roi_align_autograd));
  m.impl("roi_pool", TORCH_FN(roi_pool_autograd));
}

}  // namespace beyond::ops
