#pragma once
/// Transposed convolution ("upconvolution", "deconvolution") with ATen's exact semantics, computed
/// as an ordinary convolution so that it runs on oneDNN / BLAS forward and backward.
///
///   // FCN's 2x upsampling of 21 class maps, bilinear-initialised weight [21, 21, 4, 4]:
///   auto up = beyond::ops::conv_transpose2d(scores, weight, {}, /*stride=*/{2, 2}, /*padding=*/{1, 1});
///   // Python, after torch.ops.load_library("libbeyond_ops.so"):
///   //   torch.ops.beyond.conv_transpose2d(x, w, b, [2, 2], [1, 1], [0, 0], 1, [1, 1])
///
/// Why: LibTorch 1.13 runs every CPU transposed convolution through `slow_conv_transpose2d`, a
/// per-sample GEMM followed by a col2im scatter outside oneDNN, with backward passes built the same
/// way. That is slow for FCN's large upsampling kernels (k = 16 at stride 8, k = 64 at stride 32)
/// and for the training step of every upsampling layer.
///
/// The formulation (sub-pixel or phase decomposition). Without padding, a transposed convolution
/// with stride s writes out[y] = sum over (i, t) with y = i*s + t*d of in[i] * w[t] (per axis;
/// channels sum the same way). Split the output rows by phase r = y mod s and write y = q*s + r.
/// When the kernel size is a multiple of the stride, k = m*s (zero-padding the kernel to the next
/// multiple when it is not, which adds terms that are exactly zero), the taps that reach phase r are
/// t = j*s + r for j = 0..m-1, and they read in[q - j]: phase r is an ordinary m x m correlation of
/// the ORIGINAL input with the flipped sub-kernel w[(m-1-j)*s + r], padded by m-1. All s*s phases
/// (and all groups) are one conv2d with C_out*s*s output channels; a pixel shuffle interleaves the
/// phases into the full-resolution map, and `padding` / `output_padding` become a crop (or a zero
/// pad, holding only the bias) of that map. With k == s (Mask R-CNN's 2x2 stride-2 mask head) m = 1
/// and the conv is one GEMM. With stride 1 the op is a conv2d with the flipped kernel (dilation
/// passes straight through). Every arithmetic step is an ordinary convolution, so the backward
/// passes (input, weight and bias gradients, and double backward) are ATen's convolution backward
/// through the same composition: the op is registered CompositeImplicitAutograd.
///
/// The pixel shuffle and crop are one gather pass (`_phase_interleave`, its adjoint
/// `_phase_deinterleave` for the backward; ops/cpu/phase_shuffle_kernel.cpp), not a 6-D permute copy.
///
/// Where it pays (bench/conv_transpose_vs_aten.cpp): large upsampling kernels (FCN's k = 16 and
/// k = 64), where ATen's col2im over a k*k-times larger column buffer dominates; the backward pass;
/// and several threads, where ATen runs one small GEMM + col2im per sample. For k == s on one thread
/// (Mask R-CNN's mask head) both are one GEMM of the same size plus one scatter, so expect parity.
///
/// The fast path equals ATen's result up to float rounding (summation order differs); tests assert
/// it within 1e-4 relative tolerance in float32 and 1e-10 in float64. It falls back to
/// at::conv_transpose2d (the same result, ATen's speed) when dilation > 1 is combined with stride
/// > 1, and when zero-padding the kernel to a multiple of the stride would more than quadruple the
/// conv's work (kernel much smaller than the stride, e.g. k = 1 at stride 4). Inputs may be batched
/// [N, C_in, H, W] or unbatched [C_in, H, W], contiguous or channels-last; the output follows the
/// input's memory format.
#include <ATen/ATen.h>

namespace beyond::ops {

/// out = conv_transpose2d(input, weight, bias), exactly `at::conv_transpose2d`'s semantics and
/// argument order. weight is [C_in, C_out / groups, kH, kW]; bias (optional, may be undefined) is
/// [C_out]. Output size per axis: (in - 1) * stride - 2 * padding + dilation * (k - 1) + 1 +
/// output_padding, with 0 <= output_padding < max(stride, dilation).
at::Tensor conv_transpose2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                            at::IntArrayRef stride = {1, 1}, at::IntArrayRef padding = {0, 0},
                            at::IntArrayRef output_padding = {0, 0}, int64_t groups = 1,
                            at::IntArrayRef dilation = {1, 1});

namespace detail {
/// Whether conv_transpose2d takes the conv2d formulation (true) or falls back to ATen for these
/// kernel sizes, strides and dilations (2 each).
bool conv_transpose2d_uses_phase_conv(at::IntArrayRef kernel_size, at::IntArrayRef stride, at::IntArrayRef dilation);

/// The pixel shuffle + crop of the phase conv, in one pass: phases [N, groups * sH * sW * C/groups,
/// QH, QW] with planes ordered (group, row phase, column phase, channel in group) become
/// out [N, C, output_size] with out[n, c, h, x] = phases[n, plane(c, (h + offset_h) % sH, (x + offset_w)
/// % sW), (h + offset_h) / sH, (x + offset_w) / sW], zero where that row / column is past QH / QW.
/// The output keeps the phases' memory format (contiguous or channels-last).
at::Tensor phase_interleave(const at::Tensor& phases, at::IntArrayRef stride, at::IntArrayRef offset,
                            at::IntArrayRef output_size, int64_t groups);
/// The adjoint of phase_interleave (its backward): phase positions outside the output are zero.
at::Tensor phase_deinterleave(const at::Tensor& grad, at::IntArrayRef stride, at::IntArrayRef offset,
                              at::IntArrayRef phase_size, int64_t groups);
}  // namespace detail

}  // namespace beyond::ops
