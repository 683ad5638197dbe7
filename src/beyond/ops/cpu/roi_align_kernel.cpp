// RoI Align on the CPU. For each RoI the bilinear taps (feature cells and weights) are computed once,
// as they are the same for every channel. The forward pass reads the map in channels-last blocks
// and runs in parallel over RoIs; the backward pass runs over (image, channel) planes of the gradient.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "beyond/ops/checks.h"
#include "beyond/ops/cpu/channels_last.h"
#include "beyond/ops/cpu/simd_loops.h"

namespace beyond::ops::cpu {
namespace {

/// One bilinear sample: four plane offsets and their weights (all zero outside the map).
template <typename T>
struct Sample {
  int64_t pos[4];
  T w[4];
};

/// The taps of one RoI: bin b averages weights[t] * map[cells[t]] for t in [begin[b], begin[b + 1]).
/// Weights include the 1 / (samples per bin) of the average; taps of zero weight are dropped.
template <typename T>
struct RoiTaps {
  int64_t batch = 0;
  std::vector<int64_t> cells;
  std::vector<T> weights;
  std::vector<int64_t> begin;
};

template <typename T>
Sample<T> bilinear_sample(T y, T x, int64_t height, int64_t width) {
  Sample<T> s{};
  // Samples more than one pixel outside the map contribute nothing (torchvision's rule).
  if (y < -1.0 || y > height || x < -1.0 || x > width) return s;
  y = std::max<T>(y, 0);
  x = std::max<T>(x, 0);
  auto y_low = static_cast<int64_t>(y), x_low = static_cast<int64_t>(x);
  int64_t y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<T>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<T>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - y_low, lx = x - x_low, hy = 1 - ly, hx = 1 - lx;
  s.pos[0] = y_low * width + x_low;
  s.pos[1] = y_low * width + x_high;
  s.pos[2] = y_high * width + x_low;
  s.pos[3] = y_high * width + x_high;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

constexpr double kMaxSamplesPerRoi = 1 << 24;

template <typename T>
RoiTaps<T> roi_taps(const T* roi, T spatial_scale, int64_t pooled_h, int64_t pooled_w, int64_t sampling_ratio,
                          bool aligned, int64_t height, int64_t width) {
  RoiTaps<T> r;
  r.batch = static_cast<int64_t>(roi[0]);
  const T offset = aligned ? T(0.5) : T(0);
  const T start_w = roi[1] * spatial_scale - offset, start_h = roi[2] * spatial_scale - offset;
  T roi_w = roi[3] * spatial_scale - offset - start_w, roi_h = roi[4] * spatial_scale - offset - start_h;
  if (!aligned) {  // the legacy mode forces boxes to be at least 1x1
    roi_w = std::max<T>(roi_w, 1);
    roi_h = std::max<T>(roi_h, 1);
  }
  const T bin_h = roi_h / pooled_h, bin_w = roi_w / pooled_w;
  // Boxes with negative extent (x2 < x1 in aligned mode) get no samples and pool to zero.
  const double adaptive_h = std::max(std::ceil(static_cast<double>(roi_h) / pooled_h), 0.0);
  const double adaptive_w = std::max(std::ceil(static_cast<double>(roi_w) / pooled_w), 0.0);
  // The samples of a RoI are precomputed; an adaptive grid on an absurdly large box would need
  // more memory than any real feature map justifies (and hours of compute), so say so instead.
  TORCH_CHECK(sampling_ratio > 0 || adaptive_h * adaptive_w * pooled_h * pooled_w <= kMaxSamplesPerRoi,
              "roi_align: a RoI of ", roi_w, " x ", roi_h, " feature cells with adaptive sampling (sampling_ratio <= 0)"
              " needs ", adaptive_h * adaptive_w * pooled_h * pooled_w, " bilinear samples; clip the boxes to the "
              "image or pass a positive sampling_ratio");
  const int64_t grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(adaptive_h);
  const int64_t grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int64_t>(adaptive_w);
  const T inv_count = T(1) / static_cast<T>(std::max<int64_t>(grid_h * grid_w, 1));
  const auto taps = static_cast<size_t>(4 * pooled_h * pooled_w * std::max<int64_t>(grid_h * grid_w, 0));
  r.cells.reserve(taps);
  r.weights.reserve(taps);
  r.begin.reserve(static_cast<size_t>(pooled_h * pooled_w + 1));
  for (int64_t ph = 0; ph < pooled_h; ++ph)
    for (int64_t pw = 0; pw < pooled_w; ++pw) {
      r.begin.push_back(static_cast<int64_t>(r.cells.size()));
      for (int64_t iy = 0; iy < grid_h; ++iy) {
        const T y = start_h + ph * bin_h + (iy + T(0.5)) * bin_h / grid_h;
        for (int64_t ix = 0; ix < grid_w; ++ix) {
          const T x = start_w + pw * bin_w + (ix + T(0.5)) * bin_w / grid_w;
          const Sample<T> s = bilinear_sample(y, x, height, width);
          for (int j = 0; j < 4; ++j) {
            const T w = s.w[j] * inv_count;
            if (w == 0) continue;
            r.cells.push_back(s.pos[j]);
            r.weights.push_back(w);
          }
        }
      }
    }
  r.begin.push_back(static_cast<int64_t>(r.cells.size()));
  return r;
}

template <typename T>
std::vector<RoiTaps<T>> all_roi_taps(const T* rois, int64_t num_rois, T spatial_scale, int64_t pooled_h,
                                           int64_t pooled_w, int64_t sampling_ratio, bool aligned, int64_t height,
                                           int64_t width) {
  std::vector<RoiTaps<T>> out(static_cast<size_t>(num_rois));
  at::parallel_for(0, num_rois, 16, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k)
      out[k] = roi_taps(rois + 5 * k, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned, height, width);
  });
  return out;
}

/// The RoIs of each image, so that a pass over one image's map touches only its RoIs.
template <typename T>
std::vector<std::vector<int64_t>> rois_by_image(const std::vector<RoiTaps<T>>& rois, int64_t batch) {
  std::vector<std::vector<int64_t>> by_image(static_cast<size_t>(batch));
  for (int64_t k = 0; k < static_cast<int64_t>(rois.size()); ++k) by_image[rois[k].batch].push_back(k);
  return by_image;
}

/// Forward: for each block of channels, a bin is a weighted sum of contiguous channel runs
/// (simd::weighted_sum) into a [bins, count] buffer, written out as [count, bins] of the NCHW output.
template <typename T>
void roi_align_forward(const at::Tensor& input, const std::vector<RoiTaps<T>>& rois, int64_t bins, T* output) {
  const int64_t channels = input.size(1);
  const auto by_image = rois_by_image(rois, input.size(0));
  for_each_channel_block<T>(input, [&](int64_t n, int64_t c0, int64_t count, const T* base, int64_t stride) {
    const auto& mine = by_image[n];
    at::parallel_for(0, static_cast<int64_t>(mine.size()), 1, [&](int64_t begin, int64_t end) {
      std::vector<T> acc(static_cast<size_t>(bins * count));
      for (int64_t i = begin; i < end; ++i) {
        const int64_t k = mine[i];
        const auto& r = rois[k];
        for (int64_t b = 0; b < bins; ++b)
          simd::weighted_sum(base, stride, r.cells.data() + r.begin[b], r.weights.data() + r.begin[b],
                             r.begin[b + 1] - r.begin[b], count, acc.data() + b * count);
        T* out = output + (k * channels + c0) * bins;
        for (int64_t c = 0; c < count; ++c)
          for (int64_t b = 0; b < bins; ++b) out[c * bins + b] = acc[b * count + c];
      }
    });
  });
}

/// Backward into an NCHW gradient, in parallel over (image, channel) planes: every plane has one
/// writer, so no atomics are needed, and the result needs no layout conversion by autograd.
template <typename T>
void roi_align_backward(const T* grad, const std::vector<RoiTaps<T>>& rois, int64_t batch, int64_t channels,
                        int64_t plane, int64_t bins, T* grad_input) {
  const auto by_image = rois_by_image(rois, batch);
  at::parallel_for(0, batch * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / channels, c = item % channels;
      T* gin = grad_input + item * plane;
      for (int64_t k : by_image[n]) {
        const auto& r = rois[k];
        const T* g = grad + (k * channels + c) * bins;
        for (int64_t b = 0; b < bins; ++b)
          for (int64_t t = r.begin[b]; t < r.begin[b + 1]; ++t) gin[r.cells[t]] += r.weights[t] * g[b];
      }
    }
  });
}

at::Tensor roi_align_cpu(const at::Tensor& input, const at::Tensor& rois, double spatial_scale, int64_t pooled_height,
                         int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
  detail::check_float_cpu(input, "roi_align", "input", 4);
  detail::check_rois(rois, input, "roi_align");
  detail::check_pooled_size(pooled_height, pooled_width, "roi_align");
  const int64_t k = rois.size(0), channels = input.size(1), height = input.size(2), width = input.size(3);
  if (k == 0 || input.numel() == 0) return at::zeros({k, channels, pooled_height, pooled_width}, input.options());
  auto output = at::empty({k, channels, pooled_height, pooled_width}, input.options());  // the kernel writes all
  const auto r = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_align_forward", [&] {
    auto taps = all_roi_taps<scalar_t>(r.data_ptr<scalar_t>(), k, static_cast<scalar_t>(spatial_scale), pooled_height,
                                       pooled_width, sampling_ratio, aligned, height, width);
    roi_align_forward<scalar_t>(input, taps, pooled_height * pooled_width, output.data_ptr<scalar_t>());
  });
  return output;
}

at::Tensor roi_align_backward_cpu(const at::Tensor& grad, const at::Tensor& rois, double spatial_scale,
                                  int64_t pooled_height, int64_t pooled_width, int64_t batch_size, int64_t channels,
                                  int64_t height, int64_t width, int64_t sampling_ratio, bool aligned) {
  detail::check_float_cpu(grad, "roi_align backward", "grad", 4);
  TORCH_CHECK(grad.size(0) == rois.size(0) && grad.size(1) == channels && grad.size(2) == pooled_height &&
                  grad.size(3) == pooled_width,
              "roi_align backward: grad must have shape [", rois.size(0), ", ", channels, ", ", pooled_height, ", ",
              pooled_width, "], got ", grad.sizes());
  auto grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  if (rois.size(0) == 0 || grad_input.numel() == 0) return grad_input;
  const auto g = grad.contiguous();
  const auto r = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "roi_align_backward", [&] {
    auto taps = all_roi_taps<scalar_t>(r.data_ptr<scalar_t>(), r.size(0), static_cast<scalar_t>(spatial_scale),
                                       pooled_height, pooled_width, sampling_ratio, aligned, height, width);
    roi_align_backward<scalar_t>(g.data_ptr<scalar_t>(), taps, batch_size, channels, height * width,
                                 pooled_height * pooled_width, grad_input.data_ptr<scalar_t>());
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CPU, m) {
  m.impl("roi_align", TORCH_FN(roi_align_cpu));
  m.impl("_roi_align_backward", TORCH_FN(roi_align_backward_cpu));
}

}  // namespace beyond::ops::cpu
