#include "support/helpers.h"
#include "beyond/losses/vae_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "beyond/core/error.h"

namespace {

using beyond::test::error_of;

using namespace beyond::losses;

TEST(GaussianKl, MatchesClosedFormByHand) {
  const double mu[2][3] = {{0.5, -1.0, 0.0}, {2.0, 0.1, -0.3}};
  const double lv[2][3] = {{0.2, -0.3, 0.0}, {1.5, -2.0, 0.7}};
  auto kl = gaussian_kl(torch::tensor({0.5, -1.0, 0.0, 2.0, 0.1, -0.3}, torch::kFloat64).view({2, 3}),
                        torch::tensor({0.2, -0.3, 0.0, 1.5, -2.0, 0.7}, torch::kFloat64).view({2, 3}));
  ASSERT_EQ(kl.sizes(), (std::vector<int64_t>{2}));
  for (int n = 0; n < 2; ++n) {
    // KL(N(m, s^2) || N(0,1)) = log(1/s) + (s^2 + m^2)/2 - 1/2, per dimension.
    double expected = 0;
    for (int j = 0; j < 3; ++j) {
      const double s = std::exp(0.5 * lv[n][j]);
      expected += -std::log(s) + 0.5 * (s * s + mu[n][j] * mu[n][j]) - 0.5;
    }
    EXPECT_NEAR(kl[n].item<double>(), expected, 1e-12);
  }
  EXPECT_NEAR(gaussian_kl(torch::zeros({1, 7}), torch::zeros({1, 7})).item<double>(), 0.0, 1e-7);
}

TEST(GaussianKl, MatchesMonteCarlo) {
  torch::manual_seed(0);
  auto mu = torch::tensor({0.7, -0.4, 1.2}, torch::kFloat64);
  auto logvar = torch::tensor({-0.5, 0.3, 0.0}, torch::kFloat64);
  const auto std = torch::exp(0.5 * logvar);
  const int64_t m = 400000;
  auto eps = torch::randn({m, 3}, torch::kFloat64);
  auto z = mu + eps * std;
  // log q(z) - log p(z), the 2pi constants cancel.
  auto log_ratio = (-0.5 * eps.pow(2) - 0.5 * logvar + 0.5 * z.pow(2)).sum(1);
  const double mc = log_ratio.mean().item<double>();
  const double se = log_ratio.std().item<double>() / std::sqrt(static_cast<double>(m));
  const double exact = gaussian_kl(mu.view({1, 3}), logvar.view({1, 3})).item<double>();
  EXPECT_NEAR(mc, exact, 5 * se) << "standard error " << se;
}

TEST(GaussianKl, GradientsAreAnalytic) {
  auto mu = torch::tensor({0.3, -1.1}, torch::kFloat64).view({1, 2}).requires_grad_();
  auto logvar = torch::tensor({0.4, -0.6}, torch::kFloat64).view({1, 2}).requires_grad_();
  gaussian_kl(mu, logvar).sum().backward();
  EXPECT_TRUE(torch::allclose(mu.grad(), mu.detach()));
  EXPECT_TRUE(torch::allclose(logvar.grad(), 0.5 * (logvar.detach().exp() - 1)));
}

TEST(BernoulliLogLikelihood, MatchesDefinitionAndIsStable) {
  auto logits = torch::tensor({0.3, -2.0, 4.0, 0.0, 1.0, -0.5}, torch::kFloat64).view({2, 3});
  auto x = torch::tensor({1.0, 0.0, 0.25, 0.5, 1.0, 0.0}, torch::kFloat64).view({2, 3});
  auto ll = bernoulli_log_likelihood(logits, x);
  ASSERT_EQ(ll.sizes(), (std::vector<int64_t>{2}));
  for (int n = 0; n < 2; ++n) {
    double expected = 0;
    for (int j = 0; j < 3; ++j) {
      const double l = logits[n][j].item<double>(), t = x[n][j].item<double>();
      const double p = 1.0 / (1.0 + std::exp(-l));
      expected += t * std::log(p) + (1 - t) * std::log(1 - p);
    }
    EXPECT_NEAR(ll[n].item<double>(), expected, 1e-12);
  }
  auto extreme = bernoulli_log_likelihood(torch::tensor({{100.0f, -100.0f}}), torch::tensor({{0.0f, 1.0f}}));
  EXPECT_TRUE(std::isfinite(extreme.item<double>()));
  EXPECT_NEAR(extreme.item<double>(), -200.0, 1e-3);
}

TEST(VaeLoss, SumsBothTermsOverTheBatch) {
  torch::manual_seed(1);
  auto logits = torch::randn({4, 1, 28, 28});
  auto x = torch::rand({4, 784});  // flat targets are accepted with image-shaped logits
  auto mu = torch::randn({4, 20}), logvar = torch::randn({4, 20}) * 0.5;
  auto loss = vae_loss(logits, x, mu, logvar);
  EXPECT_EQ(loss.reconstruction.dim(), 0);
  EXPECT_NEAR(loss.reconstruction.item<double>(), -bernoulli_log_likelihood(logits, x).sum().item<double>(), 1e-2);
  const double bce = torch::binary_cross_entropy_with_logits(logits.view({4, 784}), x).item<double>() * 4 * 784;
  EXPECT_NEAR(loss.reconstruction.item<double>(), bce, 1e-2);
  EXPECT_NEAR(loss.kl.item<double>(), gaussian_kl(mu, logvar).sum().item<double>(), 1e-4);
  EXPECT_NEAR(loss.total().item<double>(), loss.reconstruction.item<double>() + loss.kl.item<double>(), 1e-3);
}

TEST(VaeLoss, RejectsMismatchedShapes) {
  auto x = torch::rand({4, 784});
  EXPECT_THROW(vae_loss(torch::randn({3, 784}), x, torch::zeros({4, 2}), torch::zeros({4, 2})), beyond::Error);
  EXPECT_EQ(error_of([&] { vae_loss(torch::randn({4, 780}), x, torch::zeros({4, 2}), torch::zeros({4, 2})); }),
            "vae_loss expects logits and x with the same batch size and element count, got logits [4, 780] and x "
            "[4, 784]");
  EXPECT_NE(error_of([&] { gaussian_kl(torch::zeros({4, 2}), torch::zeros({4, 3})); })
                .find("mu [4, 2] and logvar [4, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { vae_loss(torch::randn({4, 784}), x, torch::zeros({5, 2}), torch::zeros({5, 2})); })
                .find("one row per example"),
            std::string::npos);
}

}  // namespace
