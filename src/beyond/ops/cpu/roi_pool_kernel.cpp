// RoI max pooling (Fast R-CNN) on the CPU: every RoI is cut into a fixed pooled_height x pooled_width
// grid of bins (whatever its size) and each bin keeps its maximum and where it was (argmax, for the
// backward pass). Forward runs in parallel over RoIs on channels-last blocks of the input; backward
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
#include "beyond/ops/cpu/channels_last.h"
#include "beyond/ops/cpu/simd_loops.h"

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

/// Forward on channels-last blocks of the map: each cell of a bin is a contiguous run of channels,
/// so the running maximum is element-wise over channels (simd::rect_max). Results go to NCHW.
template <typename T>
void roi_pool_forward(const at::Tensor& input, const std::vector<RoiBins>& rois, int64_t pooled_h, int64_t pooled_w,
                      T* output, int64_t* argmax) {
  const int64_t channels = input.size(1), width = input.size(3), bins = pooled_h * pooled_w;
  std::vector<std::vector<int64_t>> by_image(static_cast<size_t>(input.size(0)));
  for (int64_t k = 0; k < static_cast<int64_t>(rois.size()); ++k) by_image[rois[k].batch].push_back(k);
  for_each_channel_block<T>(input, [&](int64_t n, int64_t c0, int64_t count, const T* base, int64_t stride) {
    const auto& mine = by_image[n];
    at::parallel_for(0, static_cast<int64_t>(mine.size()), 1, [&](int64_t begin, int64_t end) {
      std::vector<T> best(static_cast<size_t>(bins * count));
      std::vector<int32_t> best_at(static_cast<size_t>(bins * count));  // int32: vectorises with float lanes
      for (int64_t i = begin; i < end; ++i) {
        const int64_t k = mine[i];
        const RoiBins& r = rois[k];
        for (int64_t ph = 0; ph < pooled_h; ++ph)
          for (int64_t pw = 0; pw < pooled_w; ++pw) {
            const int64_t at = (ph * pooled_w + pw) * count;
            simd::rect_max(base, stride, r.h0[ph], r.h1[ph], r.w0[pw], r.w1[pw], width, count, best.data() + at,
                           best_at.data() + at);
          }
        const int64_t off = (k * channels + c0) * bins;
        for (int64_t c = 0; c < count; ++c)
          for (int64_t b = 0; b < bins; ++b) {
            output[off + c * bins + b] = best[b * count + c];
            argmax[off + c * bins + b] = best_at[b * count + c];
          }
      }
    });
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
  const auto r = rois.contiguous();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "roi_pool_forward", [&] {
    std::vector<RoiBins> bins(static_cast<size_t>(k));
    const scalar_t* rp = r.data_ptr<scalar_t>();
    for (int64_t i = 0; i < k; ++i)
      bins[i] = roi_bins(rp + 5 * i, static_cast<scalar_t>(spatial_scale), pooled_height, pooled_width, height, width);
    roi_pool_forward<scalar_t>(input, bins, pooled_height, pooled_width, output.data_ptr<scalar_t>(),
                               argmax.data_ptr<int64_t>());
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
