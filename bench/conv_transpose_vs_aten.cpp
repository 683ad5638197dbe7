// beyond::ops::conv_transpose2d (phase conv2d on oneDNN) vs ATen's at::conv_transpose2d
// (slow_conv_transpose2d in LibTorch 1.13) on Mask R-CNN's mask head and FCN's upsampling layers:
// forward (no grad) and forward + backward (input, weight and bias gradients), same thread count.
// The "fixed bilinear" rows are FCN's final upsampling, whose weight is the bilinear kernel on the
// channel diagonal and is not learned: there ours is BilinearUpsample's interpolation path
// (models::bilinear_upconvolution) and both sides compute the input gradient only.
//
//   conv_transpose_vs_aten --threads 1,2 --reps 7
//   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas conv_transpose_vs_aten   # ATen on the reference BLAS
// prints a Markdown table: median ms per call for each, and ATen / ours. The last column is the
// GEMM floor of the forward + backward: its multiply-adds (three products of the transposed
// convolution's size, 2 N H W C_in C_out k^2 flops each, two for a fixed weight; less the share that
// padding crops away) at the rate of the machine's own at::mm on a 2048^3 product. No method that
// does those products is faster than the floor, so ATen / floor bounds the ratio any GEMM-based
// transposed convolution can reach on that shape.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "beyond/models/layers/bilinear_upsample.h"
#include "beyond/ops/conv_transpose.h"

namespace {

struct Shape {
  std::string name;
  int64_t batch, c_in, c_out, size, kernel, stride, padding;
  bool channels_last;
  bool fixed_bilinear = false;  // weight = bilinear kernel on the diagonal, no weight gradient
};

const std::vector<Shape> kShapes = {
    {"Mask R-CNN mask head", 100, 256, 256, 14, 2, 2, 0, false},
    {"Mask R-CNN mask head, channels-last", 100, 256, 256, 14, 2, 2, 0, true},
    {"FCN-32s 32x (10x10 -> 320x320)", 1, 21, 21, 10, 64, 32, 16, false},
    {"FCN 2x (20x20 -> 40x40)", 1, 21, 21, 20, 4, 2, 1, false},
    {"FCN-8s 8x (40x40 -> 320x320)", 1, 21, 21, 40, 16, 8, 4, false},
    {"FCN 2x, batch 8 (160x160 -> 320x320)", 8, 21, 21, 160, 4, 2, 1, false},
    {"FCN-8s 8x, batch 8, 11 classes", 8, 11, 11, 40, 16, 8, 4, false},
    {"FCN-32s 32x, batch 8, 21 classes", 8, 21, 21, 10, 64, 32, 16, false},
    {"FCN-8s 8x, fixed bilinear", 1, 21, 21, 40, 16, 8, 0, false, true},
    {"FCN-32s 32x, fixed bilinear", 1, 21, 21, 10, 64, 32, 0, false, true},
    {"FCN-8s 8x, fixed bilinear, batch 8, 11 classes", 8, 11, 11, 40, 16, 8, 0, false, true},
    {"FCN-32s 32x, fixed bilinear, batch 8", 8, 21, 21, 10, 64, 32, 0, false, true},
};

struct Args {
  std::vector<int> threads = {1, 2};
  int reps = 7;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") {
      a.threads.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) a.threads.push_back(std::stoi(t));
    } else if (k == "--reps") {
      a.reps = std::stoi(v);
    } else {
      throw std::runtime_error("unknown argument " + k + " (use --threads 1,2 --reps 7)");
    }
  }
  return a;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ms_of(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// Flops per second of at::mm on a 2048^3 product at the current thread count (median of 5).
double gemm_flops_per_second() {
  const auto a = torch::randn({2048, 2048}), b = torch::randn({2048, 2048});
  std::vector<double> ms;
  for (int r = 0; r < 6; ++r) {
    const double t = ms_of([&] { torch::mm(a, b); });
    if (r > 0) ms.push_back(t);
  }
  return 2.0 * 2048 * 2048 * 2048 / (median(ms) / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  torch::manual_seed(0);
  std::printf("| threads | shape | fwd ATen ms | fwd ours ms | fwd ratio | fwd+bwd ATen ms | fwd+bwd ours ms | "
              "fwd+bwd ratio | max rel diff | fwd+bwd GEMM floor ms (ATen / floor) |\n"
              "|---|---|---|---|---|---|---|---|---|---|\n");
  for (int threads : args.threads) {
    at::set_num_threads(threads);
    const double gemm_rate = gemm_flops_per_second();
    std::fprintf(stderr, "at::mm on 2048^3, %d thread(s): %.1f GFLOP/s\n", threads, gemm_rate / 1e9);
    for (const auto& s : kShapes) {
      auto x = torch::randn({s.batch, s.c_in, s.size, s.size});
      if (s.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      auto w = torch::randn({s.c_in, s.c_out, s.kernel, s.kernel}) * 0.05;
      auto b = torch::randn({s.c_out});
      if (s.fixed_bilinear) {
        namespace m = beyond::models;
        w = m::BilinearUpsample(m::BilinearUpsampleOptions(s.c_in, s.stride).kernel_size(s.kernel))->weight.detach();
        b = torch::Tensor();
      }
      const std::vector<int64_t> stride = {s.stride, s.stride}, padding = {s.padding, s.padding};
      auto aten = [&](const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& bi) {
        return torch::conv_transpose2d(xi, wi, bi, stride, padding);
      };
      auto ours = [&](const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& bi) {
        if (s.fixed_bilinear) return beyond::models::bilinear_upconvolution(xi, s.stride, s.kernel);
        return beyond::ops::conv_transpose2d(xi, wi, bi, stride, padding);
      };
      double rel = 0;
      torch::Tensor seed;  // a dense output gradient, as a loss would give
      {
        torch::NoGradGuard no_grad;
        auto ref = aten(x, w, b);
        seed = torch::randn_like(ref);
        rel = ((ours(x, w, b) - ref).abs().max() / ref.abs().max()).item<double>();
      }
      auto xg = x.detach().clone(x.suggest_memory_format()).requires_grad_();
      auto wg = w.detach().clone().requires_grad_(!s.fixed_bilinear);
      auto bg = b.defined() ? b.detach().clone().requires_grad_() : b;
      std::vector<double> fwd_aten, fwd_ours, fb_aten, fb_ours;
      // Alternate the two within each repetition so load from other processes hits both alike.
      for (int r = 0; r <= args.reps; ++r) {
        const bool keep = r > 0;  // repetition 0 warms up (oneDNN primitive creation, allocator)
        for (int which = 0; which < 2; ++which) {
          const auto& fn = which == 0 ? std::function(aten) : std::function(ours);
          const double f = ms_of([&] {
            torch::NoGradGuard no_grad;
            fn(x, w, b);
          });
          const double fb = ms_of([&] {
            for (auto* t : {&xg, &wg, &bg})
              if (t->defined()) t->mutable_grad() = torch::Tensor();
            fn(xg, wg, bg).backward(seed);
          });
          if (!keep) continue;
          (which == 0 ? fwd_aten : fwd_ours).push_back(f);
          (which == 0 ? fb_aten : fb_ours).push_back(fb);
        }
      }
      const double fa = median(fwd_aten), fo = median(fwd_ours), ba = median(fb_aten), bo = median(fb_ours);
      // Padding crops the output: products that land in the cropped border need not be computed.
      const double full = static_cast<double>((s.size - 1) * s.stride + s.kernel);
      const double kept = (full - 2.0 * static_cast<double>(s.padding)) / full;
      const double products = s.fixed_bilinear ? 2 : 3;  // no weight gradient for a fixed weight
      const double flops = products * 2.0 * static_cast<double>(s.batch * s.size * s.size * s.c_in * s.c_out) *
                           static_cast<double>(s.kernel * s.kernel) * kept * kept;
      const double floor_ms = flops / gemm_rate * 1e3;
      std::printf("| %d | %s: %lldx%lldx%lldx%lld k%lld s%lld p%lld -> %lld "
                  "| %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx | %.1e | %.1f (%.1fx) |\n",
                  threads, s.name.c_str(), static_cast<long long>(s.batch), static_cast<long long>(s.c_in),
                  static_cast<long long>(s.size), static_cast<long long>(s.size), static_cast<long long>(s.kernel),
                  static_cast<long long>(s.stride), static_cast<long long>(s.padding),
                  static_cast<long long>(s.c_out), fa, fo, fa / fo, ba, bo, ba / bo, rel, floor_ms, ba / floor_ms);
      std::fflush(stdout);
    }
  }
  return 0;
}
