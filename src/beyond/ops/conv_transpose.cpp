// Transposed convolution as one conv2d over the stride phases plus a pixel shuffle (the
// formulation and the fallbacks are documented in conv_transpose.h). Registered for
// CompositeImplicitAutograd: the backward passes are ATen's conv2d backward through the composition.
#include "beyond/ops/conv_transpose.h"

#include <torch/library.h>

#include <array>
#include <vector>

namespace beyond::ops {
namespace {

constexpr const char* kOp = "conv_transpose2d";

/// Zero-padding the kernel to a multiple of the stride adds exactly-zero taps; beyond this factor of
/// extra conv work ATen's own kernel is the better choice.
constexpr double kMaxPaddedKernelWork = 4.0;

using Pair = std::array<int64_t, 2>;

Pair pair_of(at::IntArrayRef values, const char* name) {
  TORCH_CHECK(values.size() == 1 || values.size() == 2, kOp, ": ", name,
              " must hold 1 or 2 values (height, width), got ", values.size());
  return {values[0], values.back()};
}

struct Geometry {
  Pair stride, padding, output_padding, dilation, kernel, output;
};

Geometry check_arguments(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                         at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef output_padding,
                         int64_t groups, at::IntArrayRef dilation) {
  TORCH_CHECK(input.defined() && (input.dim() == 3 || input.dim() == 4), kOp,
              ": input must be [N, C_in, H, W] or unbatched [C_in, H, W], got shape ",
              input.defined() ? input.sizes() : at::IntArrayRef{});
  TORCH_CHECK(weight.defined() && weight.dim() == 4, kOp,
              ": weight must be [C_in, C_out / groups, kH, kW], got shape ",
              weight.defined() ? weight.sizes() : at::IntArrayRef{});
  TORCH_CHECK(input.is_floating_point(), kOp, ": input must be floating point, got ", input.scalar_type());
  TORCH_CHECK(weight.scalar_type() == input.scalar_type(), kOp, ": weight has dtype ", weight.scalar_type(),
              " but input has ", input.scalar_type(), "; they must match");
  TORCH_CHECK(weight.device() == input.device(), kOp, ": weight is on ", weight.device(), " but input is on ",
              input.device());
  TORCH_CHECK(groups > 0, kOp, ": groups must be positive, got ", groups);
  const int64_t in_channels = input.size(input.dim() - 3);
  TORCH_CHECK(weight.size(0) == in_channels, kOp, ": weight.size(0) must equal the input's channels C_in = ",
              in_channels, ", got weight of shape ", weight.sizes(),
              " (a transposed convolution's weight is [C_in, C_out / groups, kH, kW], not conv2d's "
              "[C_out, C_in / groups, kH, kW])");
  TORCH_CHECK(in_channels % groups == 0, kOp, ": input channels C_in = ", in_channels,
              " must be divisible by groups = ", groups);
  const int64_t out_channels = weight.size(1) * groups;
  if (bias.defined()) {
    TORCH_CHECK(bias.dim() == 1 && bias.size(0) == out_channels, kOp, ": bias must be [C_out] = [", out_channels,
                "] (weight.size(1) * groups), got shape ", bias.sizes());
    TORCH_CHECK(bias.scalar_type() == input.scalar_type(), kOp, ": bias has dtype ", bias.scalar_type(),
                " but input has ", input.scalar_type(), "; they must match");
    TORCH_CHECK(bias.device() == input.device(), kOp, ": bias is on ", bias.device(), " but input is on ",
                input.device());
  }
  Geometry g{pair_of(stride, "stride"), pair_of(padding, "padding"), pair_of(output_padding, "output_padding"),
             pair_of(dilation, "dilation"), {weight.size(2), weight.size(3)}, {}};
  const char* axis[] = {"height", "width"};
  for (int a = 0; a < 2; ++a) {
    TORCH_CHECK(g.stride[a] > 0, kOp, ": stride must be positive, got ", stride);
    TORCH_CHECK(g.dilation[a] > 0, kOp, ": dilation must be positive, got ", dilation);
    TORCH_CHECK(g.padding[a] >= 0, kOp, ": padding must be non-negative, got ", padding);
    TORCH_CHECK(g.output_padding[a] >= 0 && g.output_padding[a] < std::max(g.stride[a], g.dilation[a]), kOp,
                ": output_padding must be in [0, max(stride, dilation)) per axis, got ", output_padding,
                " with stride ", stride, " and dilation ", dilation);
    TORCH_CHECK(g.kernel[a] > 0, kOp, ": weight's kernel ", axis[a], " must be positive, got shape ", weight.sizes());
    const int64_t in = input.size(input.dim() - 2 + a);
    g.output[a] = (in - 1) * g.stride[a] - 2 * g.padding[a] + g.dilation[a] * (g.kernel[a] - 1) + 1 +
                  g.output_padding[a];
    TORCH_CHECK(g.output[a] > 0, kOp, ": the output ", axis[a], " (in - 1) * stride - 2 * padding + dilation * "
                "(k - 1) + 1 + output_padding would be ", g.output[a], " for input ", axis[a], " ", in,
                "; reduce padding");
  }
  return g;
}

/// Sub-kernel taps per axis: m = ceil(k / s) (stride > 1), or k itself at stride 1.
Pair phase_taps(const Pair& kernel, const Pair& stride) {
  return {(kernel[0] + stride[0] - 1) / stride[0], (kernel[1] + stride[1] - 1) / stride[1]};
}

/// The phase conv: conv2d(input, phase weight) -> [N, groups * sH * sW * C_out/groups, QH, QW], the
/// stride phases of the uncropped output, planes ordered (group, rH, rW, channel) as phase_interleave
/// reads them.
at::Tensor phase_conv(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias, const Geometry& g,
                      int64_t groups) {
  const Pair taps = phase_taps(g.kernel, g.stride);
  const int64_t c_in = weight.size(0), c_out_group = weight.size(1);
  const int64_t sh = g.stride[0], sw = g.stride[1];
  // Kernel zero-padded to m * s taps, split tap = j * s + r, flipped over j, phases moved into the
  // output channels.
  // Each step is skipped where it is the identity (a copy saved forward and backward).
  const int64_t pad_h = taps[0] * sh - g.kernel[0], pad_w = taps[1] * sw - g.kernel[1];
  auto w = pad_h == 0 && pad_w == 0 ? weight : at::constant_pad_nd(weight, {0, pad_w, 0, pad_h});
  w = w.reshape({groups, c_in / groups, c_out_group, taps[0], sh, taps[1], sw});
  std::vector<int64_t> flip_dims;
  if (taps[0] > 1) flip_dims.push_back(3);
  if (taps[1] > 1) flip_dims.push_back(5);
  if (!flip_dims.empty()) w = w.flip(flip_dims);
  w = w.permute({0, 4, 6, 2, 1, 3, 5})
          .reshape({groups * sh * sw * c_out_group, c_in / groups, taps[0], taps[1]});
  at::Tensor conv_bias;
  if (bias.defined()) {
    conv_bias = bias.view({groups, 1, c_out_group}).expand({groups, sh * sw, c_out_group}).reshape({-1});
  }
  return at::conv2d(input, w.contiguous(input.suggest_memory_format()), conv_bias, /*stride=*/{1, 1},
                    /*padding=*/{g.dilation[0] * (taps[0] - 1), g.dilation[1] * (taps[1] - 1)},
                    /*dilation=*/{g.dilation[0], g.dilation[1]}, groups);
}

at::Tensor conv_transpose2d_impl(const at::Tensor& input, const at::Tensor& weight,
                                 const c10::optional<at::Tensor>& bias_opt, at::IntArrayRef stride,
                                 at::IntArrayRef padding, at::IntArrayRef output_padding, int64_t groups,
                                 at::IntArrayRef dilation) {
  const at::Tensor bias = bias_opt.value_or(at::Tensor());
  const Geometry g = check_arguments(input, weight, bias, stride, padding, output_padding, groups, dilation);
  if (!detail::conv_transpose2d_uses_phase_conv(g.kernel, g.stride, g.dilation)) {
    // ATen returns a contiguous map whatever the input's layout; keep ours (the fast path's) rule.
    return at::conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
        .contiguous(input.suggest_memory_format());
  }
  const bool unbatched = input.dim() == 3;
  const auto x = unbatched ? input.unsqueeze(0) : input;
  // The phase map covers output rows [0, QH * sH) before the crop; the output is rows [padding,
  // padding + out). Rows past the map (output_padding > padding) hold only the bias, so then the
  // bias is added after the interleave instead of inside the conv.
  const Pair taps = phase_taps(g.kernel, g.stride);
  bool beyond_map = false;
  for (int a = 0; a < 2; ++a) {
    const int64_t full = (x.size(2 + a) + g.dilation[a] * (taps[a] - 1)) * g.stride[a];
    beyond_map = beyond_map || g.padding[a] + g.output[a] > full;
  }
  const bool bias_in_conv = bias.defined() && !beyond_map;
  auto phases = phase_conv(x, weight, bias_in_conv ? bias : at::Tensor(), g, groups);
  auto y = detail::phase_interleave(phases, g.stride, g.padding, g.output, groups);
  if (bias.defined() && !bias_in_conv) y = y + bias.view({1, -1, 1, 1});
  return unbatched ? y.squeeze(0) : y;
}

}  // namespace

namespace detail {
bool conv_transpose2d_uses_phase_conv(at::IntArrayRef kernel_size, at::IntArrayRef stride, at::IntArrayRef dilation) {
  double work = 1.0;
  for (size_t a = 0; a < 2; ++a) {
    if (stride[a] == 1) continue;                 // a plain (possibly dilated) correlation on this axis
    if (dilation[a] != 1) return false;           // dilated taps do not split into stride phases
    const int64_t taps = (kernel_size[a] + stride[a] - 1) / stride[a];
    work *= static_cast<double>(taps * stride[a]) / static_cast<double>(kernel_size[a]);
  }
  return work <= kMaxPaddedKernelWork;
}
}  // namespace detail

TORCH_LIBRARY_IMPL(beyond, CompositeImplicitAutograd, m) {
  m.impl("conv_transpose2d", TORCH_FN(conv_transpose2d_impl));
}

}  // namespace beyond::ops
