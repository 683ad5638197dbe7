#include "beyond/models/generative/noise.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "beyond/core/error.h"

namespace {

using beyond::models::corrupt;
using beyond::models::NoiseOptions;

TEST(Noise, NoOptionsIsIdentityCopy) {
  auto x = torch::rand({4, 1, 28, 28});
  auto y = corrupt(x, NoiseOptions());
  EXPECT_TRUE(torch::equal(x, y));
  y.fill_(0);
  EXPECT_GT(x.sum().item<double>(), 0.0) << "corrupt must not alias its input";
}

TEST(Noise, GaussianHasRequestedStdAndStaysInRange) {
  torch::manual_seed(0);
  auto x = torch::full({200, 1, 28, 28}, 0.5);
  auto y = corrupt(x, NoiseOptions().gaussian_std(0.1));
  EXPECT_GE(y.min().item<double>(), 0.0);
  EXPECT_LE(y.max().item<double>(), 1.0);
  const auto d = y - x;  // 0.5 is 5 sigma from either bound: clamping is negligible
  EXPECT_NEAR(d.mean().item<double>(), 0.0, 2e-3);
  EXPECT_NEAR(d.std().item<double>(), 0.1, 2e-3);

  auto big = corrupt(torch::rand({10, 784}), NoiseOptions().gaussian_std(2.0));
  EXPECT_GE(big.min().item<double>(), 0.0);
  EXPECT_LE(big.max().item<double>(), 1.0);
  EXPECT_GT((big == 0).sum().item<int64_t>(), 0) << "clamping at 0 must happen for std 2";
}

TEST(Noise, MaskingZeroesTheRequestedFraction) {
  torch::manual_seed(1);
  auto x = torch::ones({100, 1, 28, 28});
  auto y = corrupt(x, NoiseOptions().mask_prob(0.25));
  const double zero_fraction = (y == 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(zero_fraction, 0.25, 0.01);
  EXPECT_TRUE(torch::equal(y.masked_select(y != 0), torch::ones({(y != 0).sum().item<int64_t>()})))
      << "surviving pixels are unchanged";
  EXPECT_EQ((corrupt(x, NoiseOptions().mask_prob(1.0)) != 0).sum().item<int64_t>(), 0);
}

TEST(Noise, SeedReproducesAndBothNoisesCompose) {
  // Intensities in [0.5, 1]: Gaussian noise with std 0.2 almost never clamps them to 0, so the zeros
  // counted below are the mask's.
  auto x = 0.5 + 0.5 * torch::rand({8, 1, 28, 28});
  const auto opts = NoiseOptions().gaussian_std(0.2).mask_prob(0.3);
  torch::manual_seed(42);
  auto a = corrupt(x, opts);
  torch::manual_seed(42);
  auto b = corrupt(x, opts);
  auto c = corrupt(x, opts);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_GE(a.min().item<double>(), 0.0);
  EXPECT_LE(a.max().item<double>(), 1.0);
  EXPECT_NEAR((a == 0).to(torch::kFloat64).mean().item<double>(), 0.3, 0.05);
}

TEST(Noise, RejectsBadArguments) {
  auto x = torch::rand({2, 3});
  EXPECT_THROW(corrupt(x, NoiseOptions().gaussian_std(-1)), beyond::Error);
  EXPECT_THROW(corrupt(x, NoiseOptions().mask_prob(1.5)), beyond::Error);
  try {
    corrupt(torch::ones({2, 3}, torch::kInt64), NoiseOptions());
    FAIL() << "integer input accepted";
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("floating point"), std::string::npos) << e.what();
  }
}

}  // namespace
