// Autograd for _phase_interleave / _phase_deinterleave (ops/conv_transpose.h): both are linear
// gathers and each is the other's adjoint, so each backward is a call of the other, through autograd
// again: conv_transpose2d stays differentiable to any order.
#include <torch/autograd.h>
#include <torch/library.h>

#include "beyond/ops/conv_transpose.h"

namespace beyond::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void save(AutogradContext* ctx, at::IntArrayRef stride, at::IntArrayRef offset, at::IntArrayRef other_size,
          int64_t groups) {
  ctx->saved_data["stride"] = stride;
  ctx->saved_data["offset"] = offset;
  ctx->saved_data["other_size"] = other_size;  // the spatial size of the forward's input
  ctx->saved_data["groups"] = groups;
}

class PhaseDeinterleaveFunction;

class PhaseInterleaveFunction : public torch::autograd::Function<PhaseInterleaveFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& phases, at::IntArrayRef stride,
                            at::IntArrayRef offset, at::IntArrayRef output_size, int64_t groups) {
    save(ctx, stride, offset, {phases.size(2), phases.size(3)}, groups);
    at::AutoDispatchBelowADInplaceOrView guard;
    return detail::phase_interleave(phases, stride, offset, output_size, groups);
  }
  static variable_list backward(AutogradContext* ctx, const variable_list& grad);
};

class PhaseDeinterleaveFunction : public torch::autograd::Function<PhaseDeinterleaveFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& grad, at::IntArrayRef stride,
                            at::IntArrayRef offset, at::IntArrayRef phase_size, int64_t groups) {
    save(ctx, stride, offset, {grad.size(2), grad.size(3)}, groups);
    at::AutoDispatchBelowADInplaceOrView guard;
    return detail::phase_deinterleave(grad, stride, offset, phase_size, groups);
  }
  static variable_list backward(AutogradContext* ctx, const variable_list& grad) {
    return {PhaseInterleaveFunction::apply(grad[0], ctx->saved_data["stride"].toIntVector(),
                                           ctx->saved_data["offset"].toIntVector(),
                                           ctx->saved_data["other_size"].toIntVector(),
                                           ctx->saved_data["groups"].toInt()),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

variable_list PhaseInterleaveFunction::backward(AutogradContext* ctx, const variable_list& grad) {
  return {PhaseDeinterleaveFunction::apply(grad[0], ctx->saved_data["stride"].toIntVector(),
                                           ctx->saved_data["offset"].toIntVector(),
                                           ctx->saved_data["other_size"].toIntVector(),
                                           ctx->saved_data["groups"].toInt()),
          at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
}

at::Tensor phase_interleave_autograd(const at::Tensor& phases, at::IntArrayRef stride, at::IntArrayRef offset,
                                     at::IntArrayRef output_size, int64_t groups) {
  return PhaseInterleaveFunction::apply(phases, stride, offset, output_size, groups);
}

at::Tensor phase_deinterleave_autograd(const at::Tensor& grad, at::IntArrayRef stride, at::IntArrayRef offset,
                                       at::IntArrayRef phase_size, int64_t groups) {
  return PhaseDeinterleaveFunction::apply(grad, stride, offset, phase_size, groups);
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, Autograd, m) {
  m.impl("_phase_interleave", TORCH_FN(phase_interleave_autograd));
  m.impl("_phase_deinterleave", TORCH_FN(phase_deinterleave_autograd));
}

}  // namespace beyond::ops
