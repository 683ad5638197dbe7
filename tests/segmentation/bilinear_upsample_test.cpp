// The bilinear-initialised transposed convolution and the crop arithmetic that aligns grids.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/models/layers/bilinear_upsample.h"
#include "support/helpers.h"

namespace beyond::models {
namespace {
namespace F = torch::nn::functional;

TEST(BilinearKernel, EvenAndOddSizesAreFcnsUpsampleFilt) {
  const auto k4 = bilinear_kernel(4);
  const auto line4 = torch::tensor({0.25f, 0.75f, 0.75f, 0.25f});
  EXPECT_TRUE(torch::allclose(k4, torch::outer(line4, line4)));
  const auto k3 = bilinear_kernel(3);
  const auto line3 = torch::tensor({0.5f, 1.f, 0.5f});
  EXPECT_TRUE(torch::allclose(k3, torch::outer(line3, line3)));
  // Weights of the neighbours that share an output cell sum to 1 (interpolation, not gain).
  const auto k16 = bilinear_kernel(16);
  const auto line16 = k16.select(1, 7) / k16[7][7].sqrt();  // row 7 is line * line[7]
  for (int64_t phase = 0; phase < 8; ++phase)
    EXPECT_NEAR((line16[phase] + line16[phase + 8]).item<float>(), 1.0f, 1e-6) << phase;
}

// Interior pixels equal interpolate(align_corners=false) exactly; the first and last f/2 rows and
// columns differ, because interpolate repeats the edge value while the transposed convolution has no
// input beyond the edge (its weights there sum to less than 1). That band is the stated tolerance.
TEST(BilinearUpsample, ReproducesBilinearInterpolationAwayFromTheBorder) {
  torch::manual_seed(0);
  for (int64_t f : {2, 4, 8, 32}) {
    const auto x = torch::randn({2, 3, 5, 7});
    BilinearUpsample up(BilinearUpsampleOptions(3, f));
    ASSERT_EQ(up->kernel_size(), 2 * f);
    const auto y = up(x);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, f * 4 + 2 * f, f * 6 + 2 * f}));
    const int64_t offset = alignment_offset({static_cast<double>(f), (f - 1) / 2.0}, {1, 0}, 2 * f);
    EXPECT_EQ(offset, f / 2);
    const auto ours = crop_spatial(y, offset, 5 * f, 7 * f).detach();
    const auto ref = F::interpolate(x, F::InterpolateFuncOptions()
                                           .scale_factor(std::vector<double>{double(f), double(f)})
                                           .mode(torch::kBilinear)
                                           .align_corners(false));
    const int64_t b = f / 2;
    const auto interior = [b](const torch::Tensor& t) { return t.slice(2, b, t.size(2) - b).slice(3, b, t.size(3) - b); };
    EXPECT_LT((interior(ours) - interior(ref)).abs().max().item<float>(), 1e-5) << "factor " << f;
    // The band is really different (so the tolerance is needed), and only that band.
    EXPECT_GT((ours.slice(2, 0, b) - ref.slice(2, 0, b)).abs().max().item<float>(), 1e-3) << "factor " << f;
    // A one-pixel shift of the crop would be seen.
    const auto shifted = crop_spatial(y, offset + 1, 5 * f - 1, 7 * f - 1).detach();
    EXPECT_GT((interior(shifted) - interior(ref.slice(2, 0, 5 * f - 1).slice(3, 0, 7 * f - 1))).abs().max().item<float>(),
              1e-2);
  }
}

TEST(BilinearUpsample, StartsPerChannelAndIsLearnableUnlessFixed) {
  BilinearUpsample up(BilinearUpsampleOptions(2, 2));
  auto x = torch::zeros({1, 2, 3, 3});
  x[0][0][1][1] = 1;
  const auto y = up(x);
  EXPECT_GT(y[0][0].abs().sum().item<float>(), 0);
  EXPECT_EQ(y[0][1].abs().sum().item<float>(), 0);
  EXPECT_TRUE(up->weight.requires_grad());
  y.sum().backward();
  EXPECT_TRUE(up->weight.grad().defined());
  BilinearUpsample fixed(BilinearUpsampleOptions(2, 2).learnable(false));
  EXPECT_FALSE(fixed->weight.requires_grad());
  EXPECT_NE(test::error_of([&] { up(torch::zeros({1, 3, 4, 4})); }).find("expected [N, 2, H, W]"), std::string::npos);
}

/// The diagonal bilinear weight [C, C, K, K] that BilinearUpsample starts from.
torch::Tensor diagonal_bilinear(int64_t channels, int64_t stride, int64_t kernel, torch::Dtype dtype) {
  return BilinearUpsample(BilinearUpsampleOptions(channels, stride).kernel_size(kernel))->weight.detach().to(dtype);
}

// The interpolation path is the transposed convolution with the diagonal bilinear weight: same output
// and same input gradient as ATen's conv_transpose2d, for FCN's kernels (K = 2f), the odd ones of
// strided-convolution grids (K = 2f - 1), factors that are not a power of two, and channels-last input. Tolerances (rounding order only): float32 1e-6 of the largest value, float64
// 1e-12; ten times that for the input gradient, which sums up to K^2 products per value. In float64
// with f not a power of two the layer's kernel (float32, as stored) differs from the exact weights
// 1 - d / f that interpolation uses by float32 rounding: there the bound is 2e-7.
TEST(BilinearUpconvolution, EqualsAtenTransposedConvolutionForwardAndBackward) {
  torch::manual_seed(0);
  const std::vector<std::pair<int64_t, int64_t>> cases = {{2, 4}, {4, 8}, {8, 16}, {32, 64}, {6, 12}, {3, 5}, {5, 9}, {2, 3}};
  for (const auto dtype : {torch::kFloat32, torch::kFloat64}) {
    for (const auto& [f, k] : cases) {
      const bool exact_kernel = (f & (f - 1)) == 0;  // 1 - d / f is exact in float32
      const double tol = dtype == torch::kFloat32 ? 1e-6 : exact_kernel ? 1e-12 : 2e-7;
      for (const bool channels_last : {false, true}) {
        auto x = torch::randn({2, 3, 5, 7}, dtype);
        if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
        const auto xa = x.detach().clone().requires_grad_(), xo = x.detach().clone().requires_grad_();
        const auto ref = torch::conv_transpose2d(xa, diagonal_bilinear(3, f, k, dtype), {}, {f, f});
        const auto ours = bilinear_upconvolution(xo, f, k);
        ASSERT_EQ(ours.sizes(), ref.sizes()) << "f " << f << " K " << k;
        const double scale = ref.abs().max().item<double>();
        EXPECT_LT((ours - ref).abs().max().item<double>(), tol * scale) << "f " << f << " K " << k;
        const auto seed = torch::randn_like(ref);
        ref.backward(seed);
        ours.backward(seed);
        EXPECT_LT((xo.grad() - xa.grad()).abs().max().item<double>(), tol * xa.grad().abs().max().item<double>() * 10)
            << "f " << f << " K " << k;
      }
    }
  }
  EXPECT_NE(test::error_of([] { bilinear_upconvolution(torch::zeros({1, 4, 4}), 2, 4); }).find("expected [N, C, H, W]"),
            std::string::npos);
}

// A fixed layer interpolates; once its weight is no longer the bilinear diagonal (a state dict
// loaded into it, or any write) it convolves with what it holds; a learnable one in training mode
// convolves, so that its weight gets a gradient.
TEST(BilinearUpsample, InterpolatesOnlyWhileTheWeightIsBilinearAndNeedsNoGradient) {
  torch::manual_seed(1);
  const auto x = torch::randn({1, 2, 6, 6});
  BilinearUpsample fixed(BilinearUpsampleOptions(2, 8).learnable(false));
  const auto conv = [&](const torch::Tensor& w) { return torch::conv_transpose2d(x, w, {}, {8, 8}); };
  EXPECT_LT((fixed(x) - conv(fixed->weight)).abs().max().item<float>(), 1e-5);
  {
    torch::NoGradGuard no_grad;
    fixed->weight[0][1][3][3] = 0.5;  // mixes channel 0 into channel 1: interpolation would miss it
  }
  const auto mixed = fixed(x);
  EXPECT_LT((mixed - conv(fixed->weight)).abs().max().item<float>(), 1e-5);
  EXPECT_GT((mixed - bilinear_upconvolution(x, 8, 16)).abs().max().item<float>(), 1e-2);
  {
    torch::NoGradGuard no_grad;
    fixed->reset_parameters();
  }
  EXPECT_TRUE(torch::equal(fixed(x), bilinear_upconvolution(x, 8, 16)));  // interpolating again
  BilinearUpsample learnable(BilinearUpsampleOptions(2, 8));
  learnable(x).sum().backward();
  ASSERT_TRUE(learnable->weight.grad().defined());
  EXPECT_GT(learnable->weight.grad().abs().sum().item<float>(), 0);
}

/// Centre of mass, in image pixels, of row-profile `v` on a grid (cells at stride * t + origin).
double centre_in_pixels(const torch::Tensor& v, const GridGeometry& g) {
  const auto t = torch::arange(v.size(0), torch::kFloat64);
  const auto w = v.to(torch::kFloat64);
  return ((g.stride * t + g.origin) * w).sum().item<double>() / w.sum().item<double>();
}

// A single active coarse cell, upsampled and cropped by alignment_offset, lands at the same image
// position on the fine grid; cropping one cell more or less moves it by one fine cell. Covers the
// pooled (VGG) grids with FCN's even kernels and the strided-convolution (ResNet) grids with odd ones.
TEST(Alignment, AnUpsampledCellStaysWhereItWasInTheImage) {
  struct Case {
    GridGeometry from, to;
  };
  const std::vector<Case> cases = {{{32, 15.5}, {16, 7.5}}, {{16, 7.5}, {8, 3.5}}, {{8, 3.5}, {1, 0}},
                                   {{32, 15.5}, {1, 0}},    {{32, 0}, {16, 0}},     {{16, 0}, {8, 0}},
                                   {{8, 0}, {1, 0}},        {{32, 0}, {1, 0}}};
  for (const auto& c : cases) {
    const auto f = static_cast<int64_t>(c.from.stride / c.to.stride);
    const int64_t k = aligned_kernel_size(c.from, c.to);
    EXPECT_EQ(k, c.from.origin == 0 && c.to.origin == 0 ? 2 * f - 1 : 2 * f);
    BilinearUpsample up(BilinearUpsampleOptions(1, f).kernel_size(k));
    const int64_t n = 6, cell = 2;
    auto x = torch::zeros({1, 1, 1, n});
    x[0][0][0][cell] = 1;
    const auto y = up(x).detach()[0][0][k / 2];  // a row through the peak
    const int64_t offset = alignment_offset(c.from, c.to, k);
    const int64_t fine = n * f - 2;  // leave room for the shifted crops
    const double expected = c.from.stride * cell + c.from.origin;
    EXPECT_NEAR(centre_in_pixels(y.slice(0, offset, offset + fine), c.to), expected, 1e-6)
        << "from stride " << c.from.stride << " origin " << c.from.origin << " to stride " << c.to.stride;
    EXPECT_NEAR(centre_in_pixels(y.slice(0, offset + 1, offset + 1 + fine), c.to), expected - c.to.stride, 1e-6);
    EXPECT_NEAR(centre_in_pixels(y.slice(0, offset - 1, offset - 1 + fine), c.to), expected + c.to.stride, 1e-6);
  }
}

TEST(Alignment, KernelsThatCannotAlignAreRefused) {
  EXPECT_NE(test::error_of([] { alignment_offset({32, 0}, {16, 0}, 4); }).find("is not an integer"), std::string::npos);
  EXPECT_NE(test::error_of([] { alignment_offset({32, 0}, {12, 0}, 4); }).find("by a whole factor"), std::string::npos);
  EXPECT_NE(test::error_of([] { crop_spatial(torch::zeros({1, 1, 4, 4}), 1, 4, 4); }).find("does not hold a 4 x 4 crop"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::models
