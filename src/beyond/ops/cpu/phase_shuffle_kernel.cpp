// CPU kernels of _phase_interleave / _phase_deinterleave (semantics in ops/conv_transpose.h): the
// pixel shuffle and crop that turn conv_transpose2d's phase conv into its output, and the adjoint
// gather for the backward pass. One pass, pure gathers (every destination element is written once),
// parallel over destination rows, for contiguous (NCHW) and channels-last (NHWC) layouts. ATen's
// 6-D permute copy does the same in several times the time.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>

namespace beyond::ops {
namespace {

/// Index arithmetic shared by both directions. The phase map has planes ordered (group, rH, rW,
/// channel in group); output row h (column x) is phase r = (h + offset) mod s, row q = (h + offset) / s.
struct Layout {
  int64_t batch, channels, groups, sh, sw, off_h, off_w, out_h, out_w, qh, qw;
  int64_t group_channels() const { return channels / groups; }
  int64_t planes() const { return channels * sh * sw; }
  int64_t plane(int64_t c, int64_t r, int64_t rw) const {
    const int64_t cg = group_channels();
    return (c / cg) * sh * sw * cg + (r * sw + rw) * cg + c % cg;
  }
};

Layout layout_of(int64_t batch, int64_t channels, at::IntArrayRef stride, at::IntArrayRef offset,
                 at::IntArrayRef out_size, at::IntArrayRef phase_size, int64_t groups) {
  return {batch,     channels,  groups,      stride[0],   stride[1],    offset[0],
          offset[1], out_size[0], out_size[1], phase_size[0], phase_size[1]};
}

void check_args(const at::Tensor& t, const char* op, at::IntArrayRef stride, at::IntArrayRef offset,
                at::IntArrayRef size, int64_t groups) {
  TORCH_CHECK(t.dim() == 4, op, ": expects a [N, C, H, W] tensor, got ", t.sizes());
  TORCH_CHECK(stride.size() == 2 && offset.size() == 2 && size.size() == 2, op,
              ": stride, offset and size must hold 2 values each");
  TORCH_CHECK(stride[0] > 0 && stride[1] > 0 && offset[0] >= 0 && offset[1] >= 0 && size[0] >= 0 && size[1] >= 0,
              op, ": stride must be positive and offset, size non-negative, got ", stride, ", ", offset, ", ", size);
  TORCH_CHECK(groups > 0, op, ": groups must be positive, got ", groups);
}

template <typename T>
void interleave_nchw(const T* src, T* dst, const Layout& l) {
  at::parallel_for(0, l.batch * l.channels * l.out_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t h = row % l.out_h, c = (row / l.out_h) % l.channels, n = row / (l.out_h * l.channels);
      T* out = dst + row * l.out_w;
      const int64_t q = (h + l.off_h) / l.sh, r = (h + l.off_h) % l.sh;
      if (q >= l.qh) {
        std::fill(out, out + l.out_w, T(0));
        continue;
      }
      // Columns fed by the phase map end at x_end; past it (output_padding) they are zero.
      const int64_t x_end = std::min(l.out_w, l.qw * l.sw - l.off_w);
      if (x_end < l.out_w) std::fill(out + std::max<int64_t>(x_end, 0), out + l.out_w, T(0));
      for (int64_t rw = 0; rw < l.sw; ++rw) {
        const T* in = src + ((n * l.planes() + l.plane(c, r, rw)) * l.qh + q) * l.qw;
        // x = qw * sw + rw - off_w for qw in [qw0, qw1).
        const int64_t qw0 = std::max<int64_t>(0, (l.off_w - rw + l.sw - 1) / l.sw);
        const int64_t last = x_end - 1 + l.off_w - rw;  // qw * sw <= last
        if (last < 0) continue;
        const int64_t qw1 = std::min(l.qw, last / l.sw + 1);
        T* o = out + qw0 * l.sw + rw - l.off_w;
        for (int64_t j = qw0; j < qw1; ++j, o += l.sw) *o = in[j];
      }
    }
  });
}

template <typename T>
void deinterleave_nchw(const T* src, T* dst, const Layout& l) {
  const int64_t cg = l.group_channels();
  at::parallel_for(0, l.batch * l.planes() * l.qh, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t q = row % l.qh, p = (row / l.qh) % l.planes(), n = row / (l.qh * l.planes());
      const int64_t g = p / (l.sh * l.sw * cg), phase = (p / cg) % (l.sh * l.sw), c = g * cg + p % cg;
      const int64_t r = phase / l.sw, rw = phase % l.sw;
      T* out = dst + row * l.qw;
      const int64_t h = q * l.sh + r - l.off_h;
      if (h < 0 || h >= l.out_h) {
        std::fill(out, out + l.qw, T(0));
        continue;
      }
      const T* in = src + ((n * l.channels + c) * l.out_h + h) * l.out_w;
      // x = j * sw + rw - off_w lies in [0, out_w) for j in [j0, j1); the rest of the row is zero.
      const int64_t j0 = std::min(l.qw, std::max<int64_t>(0, (l.off_w - rw + l.sw - 1) / l.sw));
      const int64_t last = l.out_w - 1 + l.off_w - rw;
      const int64_t j1 = last < 0 ? j0 : std::max(j0, std::min(l.qw, last / l.sw + 1));
      std::fill(out, out + j0, T(0));
      const T* i = in + j0 * l.sw + rw - l.off_w;
      for (int64_t j = j0; j < j1; ++j, i += l.sw) out[j] = *i;
      std::fill(out + j1, out + l.qw, T(0));
    }
  });
}

/// Channels-last: both directions move runs of C / groups contiguous values.
template <typename T, bool kInterleave>
void shuffle_nhwc(const T* phases_in, T* phases_out, const T* out_in, T* out_out, const Layout& l) {
  const int64_t cg = l.group_channels();
  at::parallel_for(0, l.batch * l.out_h, 4, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t h = row % l.out_h, n = row / l.out_h;
      const int64_t q = (h + l.off_h) / l.sh, r = (h + l.off_h) % l.sh;
      for (int64_t x = 0; x < l.out_w; ++x) {
        const int64_t qw = (x + l.off_w) / l.sw, rw = (x + l.off_w) % l.sw;
        const int64_t out_at = (row * l.out_w + x) * l.channels;
        const bool inside = q < l.qh && qw < l.qw;
        const int64_t phase_at = ((n * l.qh + q) * l.qw + qw) * l.planes() + (r * l.sw + rw) * cg;
        for (int64_t g = 0; g < l.groups; ++g) {
          if (kInterleave) {
            T* o = out_out + out_at + g * cg;
            if (inside) std::memcpy(o, phases_in + phase_at + g * l.sh * l.sw * cg, cg * sizeof(T));
            else std::fill(o, o + cg, T(0));
          } else if (inside) {
            std::memcpy(phases_out + phase_at + g * l.sh * l.sw * cg, out_in + out_at + g * cg, cg * sizeof(T));
          }
        }
      }
    }
  });
}

at::Tensor phase_interleave_cpu(const at::Tensor& phases, at::IntArrayRef stride, at::IntArrayRef offset,
                                at::IntArrayRef output_size, int64_t groups) {
  check_args(phases, "_phase_interleave", stride, offset, output_size, groups);
  const int64_t planes = phases.size(1);
  TORCH_CHECK(planes % (stride[0] * stride[1] * groups) == 0, "_phase_interleave: ", planes,
              " planes are not groups * sH * sW * C");
  const auto format = phases.suggest_memory_format();
  const auto src = phases.contiguous(format);
  const auto l = layout_of(phases.size(0), planes / (stride[0] * stride[1]), stride, offset, output_size,
                           {phases.size(2), phases.size(3)}, groups);
  auto out = at::empty({l.batch, l.channels, l.out_h, l.out_w}, phases.options().memory_format(format));
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, phases.scalar_type(), "_phase_interleave", [&] {
    if (format == at::MemoryFormat::ChannelsLast) {
      shuffle_nhwc<scalar_t, true>(src.data_ptr<scalar_t>(), nullptr, nullptr, out.data_ptr<scalar_t>(), l);
    } else {
      interleave_nchw(src.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), l);
    }
  });
  return out;
}

at::Tensor phase_deinterleave_cpu(const at::Tensor& grad, at::IntArrayRef stride, at::IntArrayRef offset,
                                  at::IntArrayRef phase_size, int64_t groups) {
  check_args(grad, "_phase_deinterleave", stride, offset, phase_size, groups);
  TORCH_CHECK(grad.size(1) % groups == 0, "_phase_deinterleave: ", grad.size(1), " channels are not a multiple of ",
              groups, " groups");
  const auto format = grad.suggest_memory_format();
  const auto src = grad.contiguous(format);
  const auto l = layout_of(grad.size(0), grad.size(1), stride, offset, {grad.size(2), grad.size(3)}, phase_size,
                           groups);
  const bool nhwc = format == at::MemoryFormat::ChannelsLast;
  // NHWC writes only the phase positions that reach the output, so it starts from zeros.
  const auto options = grad.options().memory_format(format);
  auto out = nhwc ? at::zeros({l.batch, l.planes(), l.qh, l.qw}, options)
                  : at::empty({l.batch, l.planes(), l.qh, l.qw}, options);
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, grad.scalar_type(), "_phase_deinterleave", [&] {
    if (nhwc) {
      shuffle_nhwc<scalar_t, false>(nullptr, out.data_ptr<scalar_t>(), src.data_ptr<scalar_t>(), nullptr, l);
    } else {
      deinterleave_nchw(src.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), l);
    }
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CPU, m) {
  m.impl("_phase_interleave", TORCH_FN(phase_interleave_cpu));
  m.impl("_phase_deinterleave", TORCH_FN(phase_deinterleave_cpu));
}

}  // namespace beyond::ops
