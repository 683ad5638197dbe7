// beyond::ops::conv_transpose2d against ATen's at::conv_transpose2d: outputs and the input, weight
// and bias gradients, over strides, kernels, padding, output_padding, groups, dilation, batch and
// memory layouts; central differences in float64; the argument checks.
//
// Tolerances: float32 |ours - aten| <= 1e-4 * max(1, max |aten|) per tensor (the two sum the same
// products in different orders); float64 the same with 1e-10.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "beyond/ops/conv_transpose.h"
#include "support/helpers.h"

namespace beyond {
namespace {

struct Case {
  int64_t batch, c_in, c_out, height, width;
  std::vector<int64_t> kernel, stride, padding, output_padding;
  int64_t groups;
  std::vector<int64_t> dilation;
  bool bias;
};

std::string describe(const Case& c) {
  return c10::str("N=", c.batch, " C_in=", c.c_in, " C_out=", c.c_out, " HxW=", c.height, "x", c.width,
                  " k=", c.kernel, " s=", c.stride, " p=", c.padding, " op=", c.output_padding, " groups=", c.groups,
                  " d=", c.dilation, c.bias ? " bias" : " no bias");
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {3, 8, 8, 5, 5, {2, 2}, {2, 2}, {0, 0}, {0, 0}, 1, {1, 1}, true},        // Mask R-CNN's mask head (k == s)
      {2, 5, 5, 6, 7, {4, 4}, {2, 2}, {1, 1}, {0, 0}, 1, {1, 1}, true},        // FCN 2x (k = 2s, p = s/2)
      {2, 3, 3, 4, 5, {16, 16}, {8, 8}, {4, 4}, {0, 0}, 1, {1, 1}, true},      // FCN 8x
      {1, 2, 3, 3, 2, {64, 64}, {32, 32}, {16, 16}, {0, 0}, 1, {1, 1}, true},  // FCN 32x
      {1, 2, 2, 3, 3, {64, 64}, {32, 32}, {0, 0}, {0, 0}, 1, {1, 1}, false},   // FCN 32x, crop left to the caller
      {2, 4, 6, 7, 5, {3, 3}, {1, 1}, {1, 1}, {0, 0}, 1, {1, 1}, true},        // stride 1: a flipped conv2d
      {2, 4, 6, 6, 6, {3, 3}, {1, 1}, {2, 1}, {1, 0}, 1, {2, 1}, true},        // stride 1, dilated, output_padding
      {2, 4, 5, 5, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1, {1, 1}, true},        // k not a multiple of s
      {1, 3, 4, 4, 4, {5, 5}, {3, 3}, {2, 2}, {2, 1}, 1, {1, 1}, true},        // k = 5, s = 3, output_padding 2
      {2, 4, 6, 5, 5, {4, 4}, {2, 2}, {1, 1}, {1, 1}, 2, {1, 1}, true},        // groups
      {2, 6, 6, 4, 5, {4, 4}, {2, 2}, {1, 1}, {0, 0}, 6, {1, 1}, true},        // depthwise
      {1, 3, 2, 4, 6, {4, 3}, {2, 1}, {1, 0}, {1, 0}, 1, {1, 1}, true},        // per-axis kernel / stride
      {2, 3, 4, 4, 4, {4, 4}, {4, 4}, {0, 1}, {3, 2}, 1, {1, 1}, true},        // output_padding past the map
      {2, 3, 4, 4, 4, {2, 2}, {2, 2}, {0, 0}, {1, 1}, 1, {1, 1}, false},       // the same, no bias
      {1, 2, 3, 5, 5, {3, 3}, {2, 2}, {1, 1}, {0, 0}, 1, {2, 2}, true},        // dilated + strided: ATen fallback
      {1, 2, 3, 5, 5, {1, 1}, {4, 4}, {0, 0}, {2, 2}, 1, {1, 1}, true},        // k << s: ATen fallback
  };
  return all;
}

struct Result {
  torch::Tensor out, grad_input, grad_weight, grad_bias;
};

template <typename Fn>
Result run(const Fn& conv, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
           const torch::Tensor& grad_out_seed) {
  auto xi = x.detach().clone(x.suggest_memory_format()).requires_grad_();
  auto wi = w.detach().clone().requires_grad_();
  auto bi = b.defined() ? b.detach().clone().requires_grad_() : torch::Tensor();
  auto out = conv(xi, wi, bi);
  (out * grad_out_seed).sum().backward();
  return {out.detach(), xi.grad(), wi.grad(), bi.defined() ? bi.grad() : torch::Tensor()};
}

void expect_close(const torch::Tensor& ours, const torch::Tensor& ref, double rel, const std::string& what) {
  ASSERT_EQ(ours.sizes(), ref.sizes()) << what;
  const double scale = std::max(1.0, ref.abs().max().item<double>());
  const double diff = (ours - ref).abs().max().item<double>();
  EXPECT_LE(diff, rel * scale) << what << ": max |ours - aten| = " << diff << " (scale " << scale << ")";
}

/// Runs one case through both ops on the given input layout and compares everything.
void compare(const Case& c, torch::ScalarType dtype, const std::string& layout, double rel) {
  auto x = torch::randn({c.batch, c.c_in, c.height, c.width}, dtype);
  if (layout == "channels_last") x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  if (layout == "non_contiguous") {
    x = torch::randn({c.batch, c.c_in, c.width, 2 * c.height}, dtype).transpose(2, 3).slice(2, 0, 2 * c.height, 2);
    ASSERT_FALSE(x.is_contiguous());
  }
  auto w = torch::randn({c.c_in, c.c_out / c.groups, c.kernel[0], c.kernel[1]}, dtype);
  if (layout == "non_contiguous") {
    w = torch::randn({c.c_in, c.c_out / c.groups, c.kernel[1], c.kernel[0]}, dtype).transpose(2, 3);
  }
  auto b = c.bias ? torch::randn({c.c_out}, dtype) : torch::Tensor();
  auto ref_out = torch::conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
  auto seed = torch::randn_like(ref_out);
  auto ours = run([&](auto& xi, auto& wi, auto& bi) {
    return ops::conv_transpose2d(xi, wi, bi, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
  }, x, w, b, seed);
  auto ref = run([&](auto& xi, auto& wi, auto& bi) {
    return torch::conv_transpose2d(xi, wi, bi, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
  }, x, w, b, seed);
  const std::string what = describe(c) + " " + layout + " " + std::string(c10::toString(dtype));
  expect_close(ours.out, ref.out, rel, what + " output");
  expect_close(ours.grad_input, ref.grad_input, rel, what + " grad input");
  expect_close(ours.grad_weight, ref.grad_weight, rel, what + " grad weight");
  if (c.bias) expect_close(ours.grad_bias, ref.grad_bias, rel, what + " grad bias");
  if (layout == "channels_last") {
    EXPECT_TRUE(ours.out.is_contiguous(torch::MemoryFormat::ChannelsLast)) << what;
  } else {
    EXPECT_TRUE(ours.out.is_contiguous()) << what;
  }
}

TEST(ConvTranspose2d, EqualsAtenForwardAndBackwardFloat32) {
  torch::manual_seed(0);
  for (const auto& c : cases()) {
    for (const char* layout : {"contiguous", "channels_last", "non_contiguous"}) {
      compare(c, torch::kFloat32, layout, 1e-4);
    }
  }
}

TEST(ConvTranspose2d, EqualsAtenForwardAndBackwardFloat64) {
  torch::manual_seed(1);
  for (const auto& c : cases()) compare(c, torch::kFloat64, "contiguous", 1e-10);
}

TEST(ConvTranspose2d, TakesThePhaseConvExceptForTheDocumentedFallbacks) {
  using ops::detail::conv_transpose2d_uses_phase_conv;
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({2, 2}, {2, 2}, {1, 1}));      // Mask R-CNN
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({64, 64}, {32, 32}, {1, 1}));  // FCN-32s
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({3, 3}, {2, 2}, {1, 1}));      // padded kernel, 16/9 the work
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({3, 3}, {1, 1}, {3, 3}));      // stride 1, dilated
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({1, 1}, {2, 2}, {1, 1}));      // 4x the work: the limit
  EXPECT_FALSE(conv_transpose2d_uses_phase_conv({3, 3}, {2, 2}, {2, 2}));     // dilated and strided
  EXPECT_FALSE(conv_transpose2d_uses_phase_conv({1, 1}, {4, 4}, {1, 1}));     // 16x the work
  EXPECT_TRUE(conv_transpose2d_uses_phase_conv({2, 3}, {4, 4}, {1, 1}));      // 2 * 4/3 <= 4
  EXPECT_FALSE(conv_transpose2d_uses_phase_conv({2, 1}, {4, 4}, {1, 1}));     // 2 * 4 > 4
}

TEST(ConvTranspose2d, UnbatchedInputGivesAnUnbatchedOutput) {
  torch::manual_seed(2);
  auto x = torch::randn({4, 5, 6});
  auto w = torch::randn({4, 3, 4, 4});
  auto b = torch::randn({3});
  auto ours = ops::conv_transpose2d(x, w, b, {2, 2}, {1, 1});
  auto ref = torch::conv_transpose2d(x.unsqueeze(0), w, b, {2, 2}, {1, 1}).squeeze(0);
  expect_close(ours, ref, 1e-4, "unbatched");
}

TEST(ConvTranspose2d, GradientsMatchCentralDifferencesInFloat64) {
  torch::manual_seed(3);
  const std::vector<int64_t> stride = {2, 2}, padding = {1, 1}, output_padding = {1, 0}, dilation = {1, 1};
  auto x = torch::randn({2, 2, 3, 3}, torch::kFloat64).requires_grad_();
  auto w = torch::randn({2, 3, 3, 3}, torch::kFloat64).requires_grad_();
  auto b = torch::randn({3}, torch::kFloat64).requires_grad_();
  auto loss_of = [&](const torch::Tensor& xi, const torch::Tensor& wi, const torch::Tensor& bi,
                     const torch::Tensor& r) {
    return (ops::conv_transpose2d(xi, wi, bi, stride, padding, output_padding, 1, dilation) * r).sum();
  };
  auto r = torch::randn_like(ops::conv_transpose2d(x, w, b, stride, padding, output_padding, 1, dilation)).detach();
  loss_of(x, w, b, r).backward();
  const double eps = 1e-6;
  for (auto* t : {&x, &w, &b}) {
    auto flat = t->detach().clone().view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      auto probe = [&](double delta) {
        auto p = flat.clone();
        p[i].add_(delta);
        auto v = p.view(t->sizes());
        return loss_of(t == &x ? v : x.detach(), t == &w ? v : w.detach(), t == &b ? v : b.detach(), r).item<double>();
      };
      const double numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      EXPECT_NEAR(t->grad().view(-1)[i].item<double>(), numeric, 1e-7) << "element " << i << " of " << t->sizes();
    }
  }
}

// The backward is a composition of differentiable ops, so double backward works: a gradient penalty
// (d/dw of |dL/dx|^2) equals ATen's.
TEST(ConvTranspose2d, DoubleBackwardEqualsAtenInFloat32) {
  torch::manual_seed(4);
  auto x = torch::randn({2, 3, 5, 5}).requires_grad_();
  auto w = torch::randn({3, 4, 4, 4}).requires_grad_();
  auto b = torch::randn({4}).requires_grad_();
  auto penalty_grad = [&](bool use_ours) {
    auto y = use_ours ? ops::conv_transpose2d(x, w, b, {2, 2}, {1, 1})
                      : torch::conv_transpose2d(x, w, b, {2, 2}, {1, 1});
    auto gx = torch::autograd::grad({y.pow(2).sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
    return torch::autograd::grad({gx.pow(2).sum()}, {w})[0];
  };
  expect_close(penalty_grad(true), penalty_grad(false), 1e-4, "d/dw |dL/dx|^2");
}

TEST(ConvTranspose2d, ChecksNameTheArgumentAndTheExpectation) {
  auto x = torch::randn({1, 4, 5, 5});
  auto w = torch::randn({4, 3, 4, 4});
  auto expect_message = [](const std::function<void()>& fn, const std::string& needle) {
    const std::string msg = test::torch_error_of(fn);
    EXPECT_NE(msg.find(needle), std::string::npos) << "expected \"" << needle << "\" in: " << msg;
  };
  expect_message([&] { ops::conv_transpose2d(x[0][0], w); }, "input must be [N, C_in, H, W]");
  expect_message([&] { ops::conv_transpose2d(x, w[0]); }, "weight must be [C_in, C_out / groups, kH, kW]");
  expect_message([&] { ops::conv_transpose2d(x, w.to(torch::kFloat64)); },
                 "weight has dtype Double but input has Float");
  expect_message([&] { ops::conv_transpose2d(x, torch::randn({3, 4, 4, 4})); },
                 "weight.size(0) must equal the input's channels C_in = 4");
  expect_message([&] { ops::conv_transpose2d(x, w, torch::randn({4})); }, "bias must be [C_out] = [3]");
  expect_message([&] { ops::conv_transpose2d(x, w, torch::randn({3}, torch::kFloat64)); }, "bias has dtype Double");
  expect_message([&] { ops::conv_transpose2d(x, w, {}, {2, 2}, {0, 0}, {2, 0}); },
                 "output_padding must be in [0, max(stride, dilation))");
  expect_message([&] { ops::conv_transpose2d(x, w, {}, {1, 1}, {5, 5}); }, "the output height");
  expect_message([&] { ops::conv_transpose2d(x, torch::randn({4, 1, 4, 4}), {}, {2, 2}, {0, 0}, {0, 0}, 3); },
                 "must be divisible by groups = 3");
  expect_message([&] { ops::conv_transpose2d(x, w, {}, {0, 2}); }, "stride must be positive");
  expect_message([&] { ops::conv_transpose2d(x.to(torch::kInt), w.to(torch::kInt)); }, "input must be floating point");
}

}  // namespace
}  // namespace beyond
