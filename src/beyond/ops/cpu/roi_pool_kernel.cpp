// RoI max pooling (Fast R-CNN) on the CPU: every RoI is cut into a fixed pooled_height x pooled_width
// grid of bins (whatever its size) and each bin keeps its maximum and where it was (argmax, for the
// backward pass). Forward runs in parallel over (RoI, channel); backward over (image, channel) planes.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

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

template <typename T>
void roi_pool_forward(const T* input, const std::vector<RoiBins>& rois, int64_t channels, int64_t height,
                      int64_t width, int64_t pooled_h, int64_t pooled_w, T* output, int64_t* argmax) {
  const int64_t plane = height * width, bins = pooled_h * pooled_w;
  const auto num_rois = static_cast<int64_t>(rois.size());
  at::parallel_for(0, num_rois * channels, 4, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const RoiBins& r = rois[item / channels];
      const T* in = input + (r.batch * channels + item % channels) * plane;
      T* out = output + item * bins;
      int64_t* arg = argmax + item * bins;
      for (int64_t ph = 0; ph < pooled_h; ++ph)
        for (int64_t pw = 0; pw < pooled_w; ++pw) {
          const bool empty = r.h1[ph] <= r.h0[ph] || r.w1[pw] <= r.w0[pw];
          T best = empty ? T(0) : std::numeric_limits<T>::lowest();
          int64_t best_at = -1;
          for (int64_t h = r.h0[ph]; h < r.h1[ph]; ++h)
            for (int64_t w = r.w0[pw]; w < r.w1[pw]; ++w) {
              const T v = in[h * width + w];
              if (v > best) {
                best = v;
                best_at = h * width + w;
              }
            }
          out[ph * pooled_w + pw] = best;
          arg[ph * pooled_w + pw] = best_at;
        }
    }
  });
}

std::tuple<at::Tensor, at::Tensor> roi_pool_cpu(const at::Tensor& input, const at::Tensor& rois, double spatial_scale,
                                                int64_t pooled_height, int64_t pooled_width) {
  detail::check_float_cpu(input, "roi_pool", "input", 4);
  detail::check_rois(rois, input, "roi_pool");
  detail::check_pooled_size(pooled_height, pooled_width, "roi_pool");
  const auto in = input.contiguous();
  const auto r = rois.contiguous();
  const int64_t k = r.size(0), channels = in.size(1), height = in.size(2), width = in.size(3);
  auto output = at::zeros({k, channels, pooled_height, pooled_width}, in.options());
  auto argmax = at::full({k, channels, pooled_height, pooled_width}, -1, in.options().dtype(at::kLong));
  if (k == 0 || in.numel() == 0) return {output, argmax};
  AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "roi_pool_forward", [&] {
    std::vector<RoiBins> bins(static_cast<size_t>(k));
    const scalar_t* rp = r.data_ptr<scalar_t>();
    for (int64_t i = 0; i < k; ++i)
      bins[i] = roi_bins(rp + 5 * i, static_cast<scalar_t>(spatial_scale), pooled_height, pooled_width, height, width);
    roi_pool_forward<scalar_t>(in.data_ptr<scalar_t>(), bins, channels, height, width, pooled_height, pooled_width,
                               output.data_ptr<scalar_t>(), argmax.data_ptr<int64_t>());
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
  const auto g = grad.contiguous();
  const auto a = argmax.contiguous();
  const auto r = rois.contiguous();
  auto grad_input = at::zeros({batch_size, channels, height, width}, g.options());
  const int64_t k = r.size(0), plane = height * width, bins = pooled_height * pooled_width;
  if (k == 0 || grad_input.numel() == 0) return grad_input;
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "roi_pool_backward", [&] {
    std::vector<std::vector<int64_t>> by_image(static_cast<size_t>(batch_size));
    const scalar_t* rp = r.data_ptr<scalar_t>();
    for (int64_t i = 0; i < k; ++i) by_image[static_cast<int64_t>(rp[5 * i])].push_back(i);
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const int64_t* ap = a.data_ptr<int64_t>();
    scalar_t* gin = grad_input.data_ptr<scalar_t>();
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
