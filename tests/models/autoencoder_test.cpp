#include "support/helpers.h"
#include "beyond/models/generative/autoencoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "beyond/core/error.h"

namespace {

using beyond::test::error_of;
using beyond::test::blob_images;

using beyond::models::Autoencoder;
using beyond::models::AutoencoderOptions;

/// n smooth Gaussian blobs (random centre and width) in [0,1], [n,1,28,28]; seeded.
double train(Autoencoder& ae, const torch::Tensor& x, int steps, double lr, double* initial) {
  torch::optim::Adam opt(ae->parameters(), torch::optim::AdamOptions(lr));
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    auto loss = torch::binary_cross_entropy_with_logits(ae->forward(x), x);
    if (i == 0) *initial = loss.item<double>();
    loss.backward();
    opt.step();
  }
  torch::NoGradGuard no_grad;
  return torch::binary_cross_entropy_with_logits(ae->forward(x), x).item<double>();
}

TEST(Autoencoder, MlpShapes) {
  Autoencoder ae(AutoencoderOptions().latent(16));
  auto x = torch::rand({3, 1, 28, 28});
  EXPECT_EQ(ae->encode(x).sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(ae->forward(x).sizes(), (std::vector<int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(ae->forward(x.view({3, 784})).sizes(), (std::vector<int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(ae->decode(torch::randn({5, 16})).sizes(), (std::vector<int64_t>{5, 1, 28, 28}));
}

TEST(Autoencoder, ConvShapes) {
  Autoencoder ae(AutoencoderOptions().kind("conv").latent(8));
  auto x = torch::rand({2, 1, 28, 28});
  EXPECT_EQ(ae->encode(x).sizes(), (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(ae->forward(x).sizes(), (std::vector<int64_t>{2, 1, 28, 28}));
  Autoencoder three(AutoencoderOptions().kind("conv").channels(3).image_size(32).conv_channels({8, 16, 32}));
  EXPECT_EQ(three->forward(torch::rand({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
}

TEST(Autoencoder, MlpTrainingLowersLoss) {
  auto x = blob_images(64, 1);
  torch::manual_seed(2);
  Autoencoder ae(AutoencoderOptions().hidden({128, 64}).latent(16));
  double initial = 0;
  const double final_loss = train(ae, x, 40, 2e-3, &initial);
  EXPECT_LT(final_loss, 0.6 * initial) << "initial " << initial;
}

TEST(Autoencoder, ConvTrainingLowersLoss) {
  auto x = blob_images(64, 3);
  torch::manual_seed(4);
  Autoencoder ae(AutoencoderOptions().kind("conv").conv_channels({16, 32}).latent(16));
  double initial = 0;
  const double final_loss = train(ae, x, 40, 2e-3, &initial);
  EXPECT_LT(final_loss, 0.6 * initial) << "initial " << initial;
}

TEST(Autoencoder, RejectsWrongShapes) {
  Autoencoder ae;
  EXPECT_THROW(ae->forward(torch::rand({3, 5})), beyond::Error);
  EXPECT_EQ(error_of([&] { ae->forward(torch::rand({3, 5})); }),
            "Autoencoder::encode expects x of shape [N,1,28,28] or [N,784], got [3, 5]");
  EXPECT_NE(error_of([&] { ae->decode(torch::rand({3, 7})); }).find("expects z of shape [N,32], got [3, 7]"),
            std::string::npos);
}

TEST(Autoencoder, RejectsBadOptions) {
  EXPECT_THROW(Autoencoder(AutoencoderOptions().kind("rnn")), beyond::UsageError);
  EXPECT_NE(error_of([] { Autoencoder(AutoencoderOptions().kind("rnn")); }).find("'mlp' or 'conv', got 'rnn'"),
            std::string::npos);
  EXPECT_NE(error_of([] { Autoencoder(AutoencoderOptions().kind("conv").image_size(30)); }).find("divisible"),
            std::string::npos);
}

TEST(Autoencoder, CloneIsIndependent) {
  Autoencoder ae(AutoencoderOptions().kind("conv"));
  auto copy = std::dynamic_pointer_cast<beyond::models::AutoencoderImpl>(ae->clone());
  ASSERT_TRUE(copy);
  auto x = torch::rand({2, 1, 28, 28});
  EXPECT_TRUE(torch::allclose(ae->forward(x), copy->forward(x)));
  {
    torch::NoGradGuard g;
    for (auto& p : copy->parameters()) p.add_(1.0);
  }
  EXPECT_FALSE(torch::allclose(ae->forward(x), copy->forward(x)));
}

}  // namespace
