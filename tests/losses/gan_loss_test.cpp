#include "beyond/losses/gan_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "beyond/core/error.h"

namespace {

using namespace beyond::losses;

double softplus(double v) { return std::log1p(std::exp(v)); }

const auto kReal = [] { return torch::tensor({2.0, -1.0}, torch::kFloat64); };
const auto kFake = [] { return torch::tensor({0.5, -3.0}, torch::kFloat64); };

TEST(GanLoss, NonSaturatingByHand) {
  const double d = discriminator_loss(kReal(), kFake(), GanLossKind::NonSaturating).item<double>();
  const double d_expected = 0.5 * (softplus(-2.0) + softplus(1.0)) + 0.5 * (softplus(0.5) + softplus(-3.0));
  EXPECT_NEAR(d, d_expected, 1e-12);
  const double g = generator_loss(kFake(), GanLossKind::NonSaturating).item<double>();
  EXPECT_NEAR(g, 0.5 * (softplus(-0.5) + softplus(3.0)), 1e-12);
  // Equals binary cross-entropy with labels 1 for real and 0 for fake.
  EXPECT_NEAR(d,
              torch::binary_cross_entropy_with_logits(kReal(), torch::ones({2}, torch::kFloat64)).item<double>() +
                  torch::binary_cross_entropy_with_logits(kFake(), torch::zeros({2}, torch::kFloat64)).item<double>(),
              1e-12);
}

TEST(GanLoss, HingeByHand) {
  // D: mean(relu(1-2), relu(1+1)) + mean(relu(1+0.5), relu(1-3)) = 1 + 0.75.
  EXPECT_NEAR(discriminator_loss(kReal(), kFake(), GanLossKind::Hinge).item<double>(), 1.75, 1e-12);
  EXPECT_NEAR(generator_loss(kFake(), GanLossKind::Hinge).item<double>(), 1.25, 1e-12);
}

TEST(GanLoss, NonSaturatingGeneratorGradientDoesNotVanish) {
  // A confident discriminator (fake logit -10): minimax log(1 - D) has gradient ~ sigmoid(-10) ~ 4.5e-5,
  // the non-saturating -log D has gradient ~ -1.
  auto fake = torch::full({4}, -10.0, torch::kFloat64).requires_grad_();
  generator_loss(fake, GanLossKind::NonSaturating).backward();
  EXPECT_NEAR(fake.grad()[0].item<double>(), -1.0 / 4, 1e-4);
}

TEST(GanLoss, DifferentBatchSizesAreAveragedSeparately) {
  auto real = torch::tensor({3.0}), fake = torch::tensor({-1.0, -1.0, -1.0});
  EXPECT_NEAR(discriminator_loss(real, fake, GanLossKind::Hinge).item<double>(), 0.0, 1e-7);
}

TEST(GanLoss, ParseNames) {
  EXPECT_EQ(parse_gan_loss("hinge"), GanLossKind::Hinge);
  EXPECT_EQ(parse_gan_loss("non_saturating"), GanLossKind::NonSaturating);
  EXPECT_EQ(parse_gan_loss(to_string(GanLossKind::Hinge)), GanLossKind::Hinge);
  EXPECT_EQ(parse_gan_loss(to_string(GanLossKind::NonSaturating)), GanLossKind::NonSaturating);
  EXPECT_THROW(parse_gan_loss("wasserstein"), beyond::UsageError);
  try {
    parse_gan_loss("wasserstein");
  } catch (const beyond::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'wasserstein'"), std::string::npos) << m;
    EXPECT_NE(m.find("non_saturating, hinge"), std::string::npos) << m;
  }
}

TEST(GanLoss, RejectsBadLogits) {
  EXPECT_THROW(generator_loss(torch::zeros({0}), GanLossKind::Hinge), beyond::Error);
  try {
    discriminator_loss(torch::ones({2}, torch::kInt64), torch::zeros({2}), GanLossKind::Hinge);
    FAIL() << "integer logits accepted";
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("real_logits"), std::string::npos) << e.what();
  }
}

}  // namespace
