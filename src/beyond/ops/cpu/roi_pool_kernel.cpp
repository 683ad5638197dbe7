// RoI max pooling (Fast R-CNN) on the CPU: every RoI is cut into a fixed pooled_height x pooled_width
// grid of bins (whatever its size) and each bin keeps its maximum and where it was (argmax, for the
// backward pass). Forward runs in parallel over RoIs on a channels-last copy of the input; backward
// over (image, channel) planes of the gradient.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "beyond/ops/checks.h"

namespace beyond::ops::cpu {
namespace {

/// The [start, end) rows and columns of every bin of one RoI, clipped to the map.
struct RoiBins {
  int64_t batch = 0;
  std::vector<int64_t> h0, h1, w0, w1;  // per bin row / column
};

template <typename T>
RoiBins roi_bins(const T* roi, T spatial_scale, int64_t pooled_h, int64_t pooled_w, int64_t height, int64_t width) {
  RoiBins b;
  b.batch = static_cast<int64_t>(roi[0]);
  // Box corners round to whole cells and the box is inclusive of its last cell (Fast R-CNN, torchvision).
  const auto start_w = static_cast<int64_t>(std::round(roi[1] * spatial_scale));
  const auto start_h = static_cast<int64_t>(std::round(roi[2] * spatial_scale));
  const auto end_w = static_cast<int64_t>(std::round(roi[3] * spatial_scale));
  const auto end_h = static_cast<int64_t>(std::round(roi[4] * spatial_scale));
  const int64_t roi_w = std::max<int64_t>(end_w - start_w + 1, 1), roi_h = std::max<int64_t>(end_h - start_h + 1, 1);
  const T bin_h = static_cast<T>(roi_h) / static_cast<T>(pooled_h);
  const T bin_w = static_cast<T>(roi_w) / static_cast<T>(pooled_w);
  auto clip = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
  for (int64_t p = 0; p < pooled_h; ++p) {
    b.h0.push_back(clip(static_cast<int64_t>(std::floor(p * bin_h)) + start_h, height));
    b.h1.push_back(clip(static_cast<int64_t>(std::ceil((p + 1) * bin_h)) + start_h, height));
  }
  for (int64_t p = 0; p < pooled_w; ++p) {
    b.w0.push_back(clip(static_cast<int64_t>(std::floor(p * bin_w)) + start_w, width));
    b.w1.push_back(clip(static_cast<int64_t>(std::ceil((p + 1) * bin_w)) + start_w, width));
  }
  return b;
}

/// out = max(out, cell) element-wise, remembering `at` where cell wins. Branch-free and on restrict
/// pointers, so that the compiler vectorises it (one of the hot loops of Fast R-CNN).
template <typename T>
inline void update_max(const T* __restrict cell, int32_t at, int64_t channels, T* __restrict out,
                       int32_t* __restrict best_at) {
  for (int64_t c = 0; c < channels; ++c) {
    const T v = cell[c], cur = out[c];
    const int32_t take = -static_cast<int32_t>(v > cur);  // all ones where v wins
    out[c] = v > cur ? v : cur;
    best_at[c] = (at & take) | (best_at[c] & ~take);
  }
}

/// Channels-last input ([N, H, W, C]): each cell of a bin is a contiguous run of C values, so the
/// running maximum is an element-wise loop over channels. Results are written out as NCHW.
template <typename T>
void roi_pool_forward(const T* input, const std::vector<RoiBins>& rois, int64_t channels, int64_t width,
                      int64_t plane, int64_t pooled_h, int64_t pooled_w, T* output, int64_t* argmax) {
  at::parallel_for(0, static_cast<int64_t>(rois.size()), 1, [&](int64_t begin, int64_t end) {
    std::vector<T> best(static_cast<size_t>(channels));
    std::vector<int32_t> best_at(static_cast<size_t>(channels));  // int32: vectorises with the float lanes
    for (int64_t k = begin; k < end; ++k) {
      const RoiBins& r = rois[k];
      const T* in = input + r.batch * plane * channels;
      for (int64_t ph = 0; ph < pooled_h; ++ph)
        for (int64_t pw = 0; pw < pooled_w; ++pw) {
          const int64_t bin = ph * pooled_w + pw, bins = pooled_h * pooled_w;
          T* out = best.data();
          const bool empty = r.h1[ph] <= r.h0[ph] || r.w1[pw] <= r.w0[pw];
          std::fill(out, out + channels, empty ? T(0) : std::numeric_limits<T>::lowest());
          std::fill(best_at.begin(), best_at.end(), -1);
          for (int64_t h = r.h0[ph]; h < r.h1[ph]; ++h)
            for (int64_t w = r.w0[pw]; w < r.w1[pw]; ++w) {
              const auto at = static_cast<int32_t>(h * width + w);
              update_max(in + at * channels, at, channels, out, best_at.data());
            }
          for (int64_t c = 0; c < channels; ++c) {
            output[(k * channels + c) * bins + bin] = out[c];
            argmax[(k * channels + c) * bins + bin] = best_at[c];
          }
        }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> roi_pool_cpu(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                                                int64_t pooled_height, int64_t pooled_width) {
  detail::check_float_cpu(input, "roi_pool", "input", 4);
  detail::check_rois(rois, input, "roi_pool");
  detail::check_pooled_size(pooled_height, pooled_width, "roi_pool");
  const int64_t k = rois.size(0), channels = input.size(1), height = input.size(2), width = input.size(3);
  TORCH_CHECK(height * width < (int64_t{1} << 31), "roi_pool: input planes of ", height, "x", width,
              " are too large (argmax positions must fit in 31 bits)");
  if (k == 0 || input.numel() == 0)
    return {at::zeros({k, channels, pooled_height, pooled_width}, input.options()),
            at::full({k, channels, pooled_height, pooled_width}, -1, input.options().dtype(at::kLong))};
  // The kernel writes every element of both.
  auto output = at::empty({k, channels, pooled_height, pooled_width}, input.options());
  auto argmax = at::empty({k, channels, pooled_height, pooled_width}, input.options().dtype(at::kLong));
  const auto in = input.contiguous(at::MemoryFormat::ChannelsLast);
  const auto r = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "roi_pool_forward", [&] {
    std::vector<RoiBins> bins(static_cast<size_t>(k));
    const scalar_t* rp = r.data_ptr<scalar_t>();
    for (int64_t i = 0; i < k; ++i)
      bins[i] = roi_bins(rp + 5 * i, static_cast<scalar_t>(spatial_scale), pooled_height, pooled_width, height, width);
    roi_pool_forward<scalar_t>(in.data_ptr<scalar_t>(), bins, channels, width, height * width, pooled_height,
                               pooled_width, output.data_ptr<scalar_t>(), argmax.data_ptr<int64_t>());
  });
  return {output, argmax};
}

at::Tensor roi_pool_backward_cpu(const at::Tensor& grad, const at::Tensor& rois, const at::Tensor& argmax,
                                 double spatial_scale, int64_t pooled_height, int64_t pooled_width, int64_t batch_size,
                                 int64_t channels, int64_t height, int64_t width) {
  detail::check_float_cpu(grad, "roi_pool backward", "grad", 4);
  TORCH_CHECK(argmax.sizes() == grad.sizes() && argmax.scalar_type() == at::kLong,
              "roi_pool backward: argmax must be an int64 tensor shaped like grad ", grad.sizes(), ", got ",
              argmax.scalar_type(), " ", argmax.sizes());
  auto grad_input = at::zeros({batch_size, channels, height, width}, grad.options());
  const int64_t k = rois.size(0), plane = height * width, bins = pooled_height * pooled_width;
  if (k == 0 || grad_input.numel() == 0) return grad_input;
  const auto g = grad.contiguous();
  const auto a = argmax.contiguous();
  const auto r = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "roi_pool_backward", [&] {
    std::vector<std::vector<int64_t>> by_image(static_cast<size_t>(batch_size));
    const scalar_t* rp = r.data_ptr<scalar_t>();
    for (int64_t i = 0; i < k; ++i) by_image[static_cast<int64_t>(rp[5 * i])].push_back(i);
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const int64_t* ap = a.data_ptr<int64_t>();
    scalar_t* gin = grad_input.data_ptr<scalar_t>();
    // In parallel over (image, channel) planes: one writer per gradient element.
    at::parallel_for(0, batch_size * channels, 1, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / channels, c = item % channels;
        for (int64_t i : by_image[n]) {
          const int64_t off = (i * channels + c) * bins;
          for (int64_t b = 0; b < bins; ++b) {
            const int64_t at = ap[off + b];
            if (at >= 0 && at < plane) gin[item * plane + at] += gp[off + b];
          }
        }
      }
    });
  });
  return grad_input;
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CPU, m) {
  m.impl("roi_pool", TORCH_FN(roi_pool_cpu));
  m.impl("_roi_pool_backward", TORCH_FN(roi_pool_backward_cpu));
}

}  // namespace beyond::ops::cpu
