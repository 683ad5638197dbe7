#include "beyond/models/classifiers/small_cnn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "beyond/core/error.h"

namespace {

using beyond::models::SmallCnn;
using beyond::models::SmallCnnOptions;

/// n blob images labelled by the quadrant of the blob centre (4 classes); seeded.
std::pair<torch::Tensor, torch::Tensor> quadrant_blobs(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const auto labels = torch::randint(0, 4, {n}, torch::kInt64);
  const auto row = (labels / 2).to(torch::kFloat32).view({n, 1, 1});
  const auto col = (labels % 2).to(torch::kFloat32).view({n, 1, 1});
  const auto cy = 4 + row * 14 + torch::rand({n, 1, 1}) * 6, cx = 4 + col * 14 + torch::rand({n, 1, 1}) * 6;
  const auto sigma = torch::rand({n, 1, 1}) * 2 + 1.5;
  const auto grid = torch::arange(28, torch::kFloat32);
  const auto d2 = (grid.view({1, 28, 1}) - cy).pow(2) + (grid.view({1, 1, 28}) - cx).pow(2);
  return {torch::exp(-d2 / (2 * sigma.pow(2))).unsqueeze(1), labels};
}

TEST(SmallCnn, Shapes) {
  SmallCnn net;
  auto x = torch::rand({3, 1, 28, 28});
  EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{3, 10}));
  auto f = net->features(x);
  EXPECT_EQ(f.sizes(), (std::vector<int64_t>{3, 128}));
  EXPECT_GE(f.min().item<double>(), 0.0) << "features are post-ReLU";
  SmallCnn other(SmallCnnOptions(5, 32));
  other->eval();
  EXPECT_EQ(other->forward(x).sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(other->features(x).sizes(), (std::vector<int64_t>{3, 32}));
}

TEST(SmallCnn, EvalModeIsDeterministicAndBatchIndependent) {
  SmallCnn net;
  net->eval();
  auto x = torch::rand({4, 1, 28, 28});
  auto all = net->forward(x);
  EXPECT_TRUE(torch::allclose(all, net->forward(x)));
  EXPECT_TRUE(torch::allclose(all.slice(0, 1, 2), net->forward(x.slice(0, 1, 2)), 1e-4, 1e-5));
}

TEST(SmallCnn, TrainingLowersLossAndFitsSyntheticClasses) {
  auto [x, y] = quadrant_blobs(64, 3);
  torch::manual_seed(4);
  SmallCnn net(SmallCnnOptions(4, 64));
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  double initial = 0, last = 0;
  for (int i = 0; i < 30; ++i) {
    opt.zero_grad();
    auto loss = torch::cross_entropy_loss(net->forward(x), y);
    if (i == 0) initial = loss.item<double>();
    last = loss.item<double>();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(last, 0.5 * initial) << "initial " << initial;
  torch::NoGradGuard no_grad;
  net->train(false);
  auto [test_x, test_y] = quadrant_blobs(64, 99);
  const double accuracy = (net->forward(test_x).argmax(1) == test_y).to(torch::kFloat64).mean().item<double>();
  EXPECT_GE(accuracy, 0.9);
}

TEST(SmallCnn, RejectsWrongShapes) {
  SmallCnn net;
  EXPECT_THROW(net->forward(torch::rand({2, 784})), beyond::Error);
  try {
    net->features(torch::rand({2, 3, 28, 28}));
    FAIL() << "3-channel input accepted";
  } catch (const beyond::Error& e) {
    EXPECT_EQ(std::string(e.what()), "SmallCnn expects x of shape [N,1,28,28] with values in [0,1], got [2, 3, 28, 28]");
  }
  EXPECT_THROW(SmallCnn(SmallCnnOptions(0, 128)), beyond::Error);
}

}  // namespace
