#include "support/helpers.h"
#include "beyond/models/generative/vae.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "beyond/core/error.h"
#include "beyond/losses/vae_loss.h"

namespace {

using beyond::test::error_of;
using beyond::test::blob_images;

using beyond::models::Vae;
using beyond::models::VaeOptions;

TEST(Vae, ParameterNamesAndShapesMatchPytorchExample) {
  Vae vae(VaeOptions(784, 400, 20));
  std::map<std::string, std::vector<int64_t>> expected = {
      {"fc1.weight", {400, 784}}, {"fc1.bias", {400}},  {"fc21.weight", {20, 400}}, {"fc21.bias", {20}},
      {"fc22.weight", {20, 400}}, {"fc22.bias", {20}},  {"fc3.weight", {400, 20}},  {"fc3.bias", {400}},
      {"fc4.weight", {784, 400}}, {"fc4.bias", {784}}};
  auto params = vae->named_parameters();
  EXPECT_EQ(params.size(), expected.size());
  for (const auto& [name, shape] : expected) {
    ASSERT_TRUE(params.contains(name)) << name;
    EXPECT_EQ(params[name].sizes(), shape) << name;
  }
}

TEST(Vae, ForwardShapes) {
  Vae vae(VaeOptions(784, 400, 20));
  auto out = vae->forward(torch::rand({2, 1, 28, 28}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 1, 28, 28}));
  EXPECT_EQ(out.mu.sizes(), (std::vector<int64_t>{2, 20}));
  EXPECT_EQ(out.logvar.sizes(), (std::vector<int64_t>{2, 20}));
  EXPECT_EQ(out.z.sizes(), (std::vector<int64_t>{2, 20}));
  EXPECT_EQ(vae->forward(torch::rand({3, 784})).logits.sizes(), (std::vector<int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(vae->decode(torch::randn({5, 20})).sizes(), (std::vector<int64_t>{5, 1, 28, 28}));
  Vae flat(VaeOptions(10, 8, 2));
  EXPECT_EQ(flat->forward(torch::rand({4, 10})).logits.sizes(), (std::vector<int64_t>{4, 10}));
}

TEST(Vae, ForwardIsReparameterisedSample) {
  Vae vae(VaeOptions(784, 64, 4));
  vae->eval();  // sampling happens in eval mode too, like the PyTorch example
  auto x = torch::rand({3, 784});
  torch::manual_seed(7);
  auto a = vae->forward(x);
  torch::manual_seed(7);
  auto b = vae->forward(x);
  auto c = vae->forward(x);
  EXPECT_TRUE(torch::equal(a.z, b.z));
  EXPECT_FALSE(torch::equal(a.z, c.z));
  auto [mu, logvar] = vae->encode(x);
  EXPECT_TRUE(torch::allclose(a.mu, mu));
  EXPECT_TRUE(torch::allclose(a.logvar, logvar));
  // z = mu + eps * exp(0.5 logvar) with eps the next default-generator draw.
  torch::manual_seed(7);
  auto eps = torch::randn_like(mu);
  EXPECT_TRUE(torch::allclose(a.z, mu + eps * torch::exp(0.5 * logvar), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(a.logits, vae->decode(a.z)));
}

TEST(Vae, TrainingLowersNegativeElbo) {
  auto x = blob_images(64, 11);
  torch::manual_seed(12);
  Vae vae(VaeOptions(784, 200, 10));
  torch::optim::Adam opt(vae->parameters(), torch::optim::AdamOptions(2e-3));
  double initial = 0, last = 0;
  for (int i = 0; i < 40; ++i) {
    opt.zero_grad();
    auto out = vae->forward(x);
    auto loss = beyond::losses::vae_loss(out.logits, x, out.mu, out.logvar).total() / x.size(0);
    if (i == 0) initial = loss.item<double>();
    last = loss.item<double>();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(last, 0.6 * initial) << "initial " << initial;
}

TEST(Vae, RejectsWrongShapes) {
  Vae vae(VaeOptions(784, 400, 20));
  EXPECT_THROW(vae->forward(torch::rand({3, 5})), beyond::Error);
  EXPECT_EQ(error_of([&] { vae->forward(torch::rand({3, 5})); }),
            "Vae::forward expects x of shape [N,1,28,28] or [N,784], got [3, 5]");
  EXPECT_NE(error_of([&] { vae->forward(torch::rand({3, 3, 28, 28})); }).find("got [3, 3, 28, 28]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { vae->decode(torch::rand({3, 19})); }).find("expects z of shape [N,20], got [3, 19]"),
            std::string::npos);
  EXPECT_NE(error_of([] { Vae(VaeOptions(784, 400, 20).image_shape({1, 28, 27})); }).find("input_dim is 784"),
            std::string::npos);
}

}  // namespace
