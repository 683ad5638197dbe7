#include "support/helpers.h"
#include "beyond/models/generative/dcgan.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "beyond/core/error.h"
#include "beyond/losses/gan_loss.h"

namespace {

using beyond::test::error_of;
using beyond::test::blob_images;

using beyond::losses::discriminator_loss;
using beyond::losses::GanLossKind;
using beyond::losses::generator_loss;
using beyond::models::DcganDiscriminator;
using beyond::models::DcganDiscriminatorOptions;
using beyond::models::DcganGenerator;
using beyond::models::DcganGeneratorOptions;

TEST(Dcgan, Shapes) {
  DcganGenerator g(DcganGeneratorOptions(100, 16));
  DcganDiscriminator d(DcganDiscriminatorOptions(16));
  auto fake = g->forward(torch::randn({5, 100}));
  EXPECT_EQ(fake.sizes(), (std::vector<int64_t>{5, 1, 28, 28}));
  EXPECT_LE(fake.abs().max().item<double>(), 1.0);
  EXPECT_EQ(g->forward(torch::randn({5, 100, 1, 1})).sizes(), (std::vector<int64_t>{5, 1, 28, 28}));
  EXPECT_EQ(d->forward(fake).sizes(), (std::vector<int64_t>{5}));
  DcganGenerator rgb(DcganGeneratorOptions(8, 4).channels(3));
  EXPECT_EQ(rgb->forward(torch::randn({2, 8})).sizes(), (std::vector<int64_t>{2, 3, 28, 28}));
}

TEST(Dcgan, DefaultArchitecture) {
  DcganGenerator g;
  DcganDiscriminator d;
  auto gp = g->named_parameters();
  EXPECT_EQ(gp["fc.weight"].sizes(), (std::vector<int64_t>{128 * 7 * 7, 100}));
  EXPECT_EQ(gp["deconv1.weight"].sizes(), (std::vector<int64_t>{128, 64, 4, 4}));
  EXPECT_EQ(gp["deconv2.weight"].sizes(), (std::vector<int64_t>{64, 1, 4, 4}));
  auto dp = d->named_parameters();
  EXPECT_EQ(dp["conv1.weight"].sizes(), (std::vector<int64_t>{64, 1, 4, 4}));
  EXPECT_EQ(dp["conv2.weight"].sizes(), (std::vector<int64_t>{128, 64, 4, 4}));
  EXPECT_EQ(dp["fc.weight"].sizes(), (std::vector<int64_t>{1, 128 * 7 * 7}));
}

TEST(Dcgan, DcganInitialisation) {
  torch::manual_seed(0);
  DcganGenerator g;
  DcganDiscriminator d;
  auto gp = g->named_parameters();
  auto dp = d->named_parameters();
  for (const auto* w : {&gp["deconv1.weight"], &gp["fc.weight"], &dp["conv2.weight"]}) {
    EXPECT_NEAR(w->mean().item<double>(), 0.0, 1e-3);
    EXPECT_NEAR(w->std().item<double>(), 0.02, 1e-3);
  }
  EXPECT_NEAR(gp["bn0.weight"].mean().item<double>(), 1.0, 0.01);
  EXPECT_NEAR(gp["bn0.weight"].std().item<double>(), 0.02, 0.005);
  for (const char* b : {"bn0.bias", "bn1.bias", "deconv2.bias"}) EXPECT_EQ(gp[b].abs().max().item<double>(), 0.0) << b;
  for (const char* b : {"bn2.bias", "conv1.bias", "fc.bias"}) EXPECT_EQ(dp[b].abs().max().item<double>(), 0.0) << b;
}

TEST(Dcgan, DiscriminatorThenGeneratorStepsLowerTheirLosses) {
  const auto real = blob_images(64, 5) * 2 - 1;
  torch::manual_seed(6);
  DcganGenerator g(DcganGeneratorOptions(16, 16));
  DcganDiscriminator d{nullptr};
  const auto z = torch::randn({64, 16});
  for (auto kind : {GanLossKind::NonSaturating, GanLossKind::Hinge}) {
    d = DcganDiscriminator(DcganDiscriminatorOptions(16));  // a fresh discriminator per objective
    torch::optim::Adam d_opt(d->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
    const auto fake = g->forward(z).detach();
    double d_initial = 0, d_last = 0;
    for (int i = 0; i < 25; ++i) {
      d_opt.zero_grad();
      auto loss = discriminator_loss(d->forward(real), d->forward(fake), kind);
      if (i == 0) d_initial = loss.item<double>();
      d_last = loss.item<double>();
      loss.backward();
      d_opt.step();
    }
    EXPECT_LT(d_last, 0.5 * d_initial) << "discriminator, initial " << d_initial;
  }
  // The generator against the last (hinge-trained) discriminator, frozen and in eval mode.
  d->eval();
  for (auto& p : d->parameters()) p.set_requires_grad(false);
  torch::optim::Adam g_opt(g->parameters(), torch::optim::AdamOptions(1e-3).betas({0.5, 0.999}));
  double g_initial = 0, g_last = 0;
  for (int i = 0; i < 25; ++i) {
    g_opt.zero_grad();
    auto loss = generator_loss(d->forward(g->forward(z)), GanLossKind::NonSaturating);
    if (i == 0) g_initial = loss.item<double>();
    g_last = loss.item<double>();
    loss.backward();
    g_opt.step();
  }
  EXPECT_LT(g_last, 0.8 * g_initial) << "generator, initial " << g_initial;
}

TEST(Dcgan, RejectsWrongShapes) {
  DcganGenerator g(DcganGeneratorOptions(100, 8));
  DcganDiscriminator d(DcganDiscriminatorOptions(8));
  EXPECT_THROW(g->forward(torch::randn({2, 99})), beyond::Error);
  EXPECT_EQ(error_of([&] { g->forward(torch::randn({2, 99})); }),
            "DcganGenerator::forward expects z of shape [N,100] or [N,100,1,1], got [2, 99]");
  EXPECT_EQ(error_of([&] { d->forward(torch::randn({2, 1, 32, 32})); }),
            "DcganDiscriminator::forward expects x of shape [N,1,28,28], got [2, 1, 32, 32]");
}

}  // namespace
