#include "support/helpers.h"
#include "beyond/eval/vae_likelihood.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "beyond/core/error.h"
#include "beyond/losses/vae_loss.h"

namespace {

using beyond::test::blob_images;

using beyond::eval::iwae_nll;
using beyond::eval::negative_elbo;
using beyond::models::Vae;
using beyond::models::VaeOptions;

/// Exact -log p(x) of a VAE with a 1-D latent by quadrature over z on a fine grid: [N].
torch::Tensor exact_nll_1d(Vae& vae, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const int64_t g = 20001;
  const double lo = -10, hi = 10, dz = (hi - lo) / (g - 1);
  auto z = torch::linspace(lo, hi, g, torch::kFloat64).view({g, 1});
  auto logits = vae->decode(z).view({g, -1});  // [G,D]
  auto log_prior = -0.5 * z.view({g}).pow(2) - 0.5 * std::log(2 * M_PI);
  std::vector<torch::Tensor> out;
  for (int64_t n = 0; n < x.size(0); ++n) {
    auto target = x[n].reshape({1, -1}).expand({g, logits.size(1)});
    auto log_joint = beyond::losses::bernoulli_log_likelihood(logits, target) + log_prior;
    out.push_back(-(torch::logsumexp(log_joint, 0) + std::log(dz)));
  }
  return torch::stack(out);
}

TEST(IwaeNll, ConvergesToExactLikelihoodWithOneDimensionalLatent) {
  torch::manual_seed(0);
  Vae vae(VaeOptions(6, 16, 1));
  vae->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : vae->parameters()) p.mul_(3.0);  // make p(x|z) depend clearly on z
    // A proposal wider than the prior, q = N(0, 2^2): the importance weights p(x,z)/q(z) are then
    // bounded, so 20000 samples estimate log p(x) to ~0.01 nats and the test does not depend on luck.
    auto params = vae->named_parameters();
    params["fc21.weight"].zero_();
    params["fc21.bias"].zero_();
    params["fc22.weight"].zero_();
    params["fc22.bias"].fill_(std::log(4.0));
  }
  auto x = torch::bernoulli(torch::full({5, 6}, 0.5, torch::kFloat64));
  auto exact = exact_nll_1d(vae, x);
  torch::manual_seed(1);
  auto iwae = iwae_nll(*vae, x, 20000, 2500);
  ASSERT_EQ(iwae.sizes(), (std::vector<int64_t>{5}));
  EXPECT_EQ(iwae.scalar_type(), torch::kFloat64);
  for (int64_t n = 0; n < 5; ++n) {
    EXPECT_NEAR(iwae[n].item<double>(), exact[n].item<double>(), 0.02) << "example " << n;
  }
  // Both are upper bounds of the exact NLL on average.
  auto elbo = torch::zeros({5}, torch::kFloat64);
  for (int r = 0; r < 200; ++r) elbo += negative_elbo(*vae, x) / 200;
  EXPECT_GE(elbo.mean().item<double>(), exact.mean().item<double>() - 1e-3);
}

TEST(IwaeNll, TightensWithMoreSamplesOnATrainedVae) {
  auto data = blob_images(64, 3);
  auto x = torch::bernoulli(data);  // binarised, as in likelihood evaluation of MNIST-like data
  torch::manual_seed(4);
  Vae vae(VaeOptions(784, 128, 8));
  torch::optim::Adam opt(vae->parameters(), torch::optim::AdamOptions(3e-3));
  for (int i = 0; i < 60; ++i) {
    opt.zero_grad();
    auto out = vae->forward(x);
    beyond::losses::vae_loss(out.logits, x, out.mu, out.logvar).total().backward();
    opt.step();
  }
  auto batch = x.slice(0, 0, 16);
  torch::manual_seed(5);
  double elbo = 0, k1 = 0;
  for (int r = 0; r < 20; ++r) {
    elbo += negative_elbo(*vae, batch).mean().item<double>() / 20;
    k1 += iwae_nll(*vae, batch, 1).mean().item<double>() / 20;
  }
  const double k10 = iwae_nll(*vae, batch, 10).mean().item<double>();
  const double k100 = iwae_nll(*vae, batch, 100).mean().item<double>();
  const double k1000 = iwae_nll(*vae, batch, 1000, 64).mean().item<double>();
  // k=1 estimates the same quantity as the ELBO (with a sampled KL), so they agree up to noise.
  EXPECT_NEAR(k1, elbo, 0.05 * std::abs(elbo));
  EXPECT_LE(k1000, elbo);
  const double slack = 0.3;  // nats, Monte-Carlo noise
  EXPECT_LE(k10, k1 + slack);
  EXPECT_LE(k100, k10 + slack);
  EXPECT_LE(k1000, k100 + slack);
  EXPECT_LT(k1000, elbo - 0.5) << "the bound should tighten visibly: elbo " << elbo << " k1000 " << k1000;
}

TEST(IwaeNll, ChunkSizeDoesNotChangeTheEstimateBeyondNoise) {
  torch::manual_seed(6);
  Vae vae(VaeOptions(16, 32, 2));
  auto x = torch::bernoulli(torch::full({4, 16}, 0.3));
  const auto a = iwae_nll(*vae, x, 4000, 1);
  const auto b = iwae_nll(*vae, x, 4000);
  EXPECT_TRUE(torch::allclose(a, b, 0, 0.05)) << a << b;
}

TEST(IwaeNll, RejectsBadArguments) {
  Vae vae(VaeOptions(784, 400, 20));
  try {
    iwae_nll(*vae, torch::rand({2, 784}), 0);
    FAIL() << "k = 0 accepted";
  } catch (const beyond::Error& e) {
    EXPECT_EQ(std::string(e.what()), "iwae_nll expects k >= 1 importance samples, got 0");
  }
  try {
    iwae_nll(*vae, torch::rand({3, 5}), 10);
    FAIL() << "wrong shape accepted";
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("got [3, 5]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(negative_elbo(*vae, torch::rand({3, 5})), beyond::Error);
}

}  // namespace
