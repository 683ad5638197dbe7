#include "support/helpers.h"
#include "beyond/eval/fid.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "beyond/core/error.h"

namespace {

using beyond::test::error_of;

using beyond::eval::frechet_distance;
using beyond::eval::frechet_distance_of_features;
using beyond::eval::gaussian_stats;
using beyond::eval::GaussianStats;

/// A random symmetric positive-definite [d,d] matrix (float64).
torch::Tensor random_spd(int64_t d) {
  auto a = torch::randn({d, d}, torch::kFloat64);
  return a.mm(a.t()) / d + 0.1 * torch::eye(d, torch::kFloat64);
}

TEST(GaussianStats, MeanAndUnbiasedCovarianceByHand) {
  auto f = torch::tensor({1.0, 2.0, 3.0, 5.0, 4.0, 1.0}, torch::kFloat32).view({3, 2});
  auto s = gaussian_stats(f);
  EXPECT_EQ(s.mean.scalar_type(), torch::kFloat64);
  EXPECT_EQ(s.cov.scalar_type(), torch::kFloat64);
  // columns: a = {1,3,4} (mean 8/3), b = {2,5,1} (mean 8/3)
  const double ma = 8.0 / 3, mb = 8.0 / 3;
  const double a[3] = {1, 3, 4}, b[3] = {2, 5, 1};
  double vaa = 0, vbb = 0, vab = 0;
  for (int i = 0; i < 3; ++i) {
    vaa += (a[i] - ma) * (a[i] - ma);
    vbb += (b[i] - mb) * (b[i] - mb);
    vab += (a[i] - ma) * (b[i] - mb);
  }
  EXPECT_NEAR(s.mean[0].item<double>(), ma, 1e-12);
  EXPECT_NEAR(s.mean[1].item<double>(), mb, 1e-12);
  EXPECT_NEAR(s.cov[0][0].item<double>(), vaa / 2, 1e-12);
  EXPECT_NEAR(s.cov[1][1].item<double>(), vbb / 2, 1e-12);
  EXPECT_NEAR(s.cov[0][1].item<double>(), vab / 2, 1e-12);
  EXPECT_NEAR(s.cov[1][0].item<double>(), vab / 2, 1e-12);
}

TEST(FrechetDistance, OfASetWithItselfIsZero) {
  torch::manual_seed(0);
  auto f = torch::randn({500, 32}).mm(torch::randn({32, 32})) + 3;
  auto s = gaussian_stats(f);
  const double scale = s.cov.trace().item<double>();
  const double d = frechet_distance(s, s);
  EXPECT_LT(std::abs(d), 1e-6 * scale) << d;
  EXPECT_LT(std::abs(frechet_distance_of_features(f, f)), 1e-6 * scale);
}

TEST(FrechetDistance, DiagonalGaussiansAnalytic) {
  auto mu1 = torch::tensor({0.0, 1.0, -2.0}, torch::kFloat64), mu2 = torch::tensor({1.0, 1.0, 0.5}, torch::kFloat64);
  const double a[3] = {1.0, 4.0, 0.25}, b[3] = {9.0, 1.0, 0.25};
  GaussianStats s1{mu1, torch::diag(torch::tensor({a[0], a[1], a[2]}, torch::kFloat64))};
  GaussianStats s2{mu2, torch::diag(torch::tensor({b[0], b[1], b[2]}, torch::kFloat64))};
  double expected = 1.0 + 0.0 + 6.25;
  for (int i = 0; i < 3; ++i) expected += std::pow(std::sqrt(a[i]) - std::sqrt(b[i]), 2);
  EXPECT_NEAR(frechet_distance(s1, s2), expected, 1e-10);
  EXPECT_NEAR(frechet_distance(s2, s1), expected, 1e-10);
}

TEST(FrechetDistance, ScaledFullCovarianceAnalytic) {
  // C2 = k^2 C1 commutes with C1: tr(C1 + C2 - 2 (C1 C2)^{1/2}) = (1 - k)^2 tr C1.
  torch::manual_seed(1);
  auto c1 = random_spd(16);
  const double k = 1.7;
  auto mu1 = torch::randn({16}, torch::kFloat64), mu2 = torch::randn({16}, torch::kFloat64);
  const double expected = (mu1 - mu2).pow(2).sum().item<double>() + (1 - k) * (1 - k) * c1.trace().item<double>();
  EXPECT_NEAR(frechet_distance({mu1, c1}, {mu2, k * k * c1}), expected, 1e-8 * expected);
}

TEST(FrechetDistance, GeneralCaseIsSymmetricAndAgreesWithOneDimension) {
  torch::manual_seed(2);
  GaussianStats a{torch::randn({8}, torch::kFloat64), random_spd(8)};
  GaussianStats b{torch::randn({8}, torch::kFloat64), random_spd(8)};
  const double ab = frechet_distance(a, b), ba = frechet_distance(b, a);
  EXPECT_GT(ab, 0.0);
  EXPECT_NEAR(ab, ba, 1e-9 * ab);
  // 1-D: (m1-m2)^2 + (s1 - s2)^2.
  GaussianStats p{torch::tensor({0.5}, torch::kFloat64), torch::tensor({{4.0}}, torch::kFloat64)};
  GaussianStats q{torch::tensor({-1.0}, torch::kFloat64), torch::tensor({{0.81}}, torch::kFloat64)};
  EXPECT_NEAR(frechet_distance(p, q), 2.25 + 1.1 * 1.1, 1e-12);
}

TEST(FrechetDistance, SingularCovarianceIsFinite) {
  torch::manual_seed(3);
  auto low_rank = torch::randn({100, 3}).mm(torch::randn({3, 10}));  // covariance of rank 3 in 10-D
  const double d = frechet_distance_of_features(low_rank, low_rank * 1.5);
  EXPECT_TRUE(std::isfinite(d));
  auto s = gaussian_stats(low_rank);
  EXPECT_NEAR(d, 0.25 * s.cov.trace().item<double>() + 0.25 * s.mean.pow(2).sum().item<double>(), 1e-6 * d);
}

TEST(FrechetDistance, RejectsMismatchedDimensions) {
  GaussianStats a{torch::zeros({3}, torch::kFloat64), torch::eye(3, torch::kFloat64)};
  GaussianStats b{torch::zeros({4}, torch::kFloat64), torch::eye(4, torch::kFloat64)};
  EXPECT_THROW(frechet_distance(a, b), beyond::Error);
  EXPECT_EQ(error_of([&] { frechet_distance(a, b); }),
            "frechet_distance expects statistics of one feature dimension, got 3 and 4");
  GaussianStats bad{torch::zeros({3}, torch::kFloat64), torch::eye(4, torch::kFloat64)};
  EXPECT_NE(error_of([&] { frechet_distance(a, bad); }).find("b.mean [D] and b.cov [D,D], got [3] and [4, 4]"),
            std::string::npos);
  EXPECT_EQ(error_of([] { gaussian_stats(torch::zeros({10})); }),
            "gaussian_stats expects features of shape [N,D] with N >= 2, got [10]");
  EXPECT_THROW(gaussian_stats(torch::zeros({1, 5})), beyond::Error);
}

}  // namespace
