// The character language model as a module: shapes, learning, sampling, and windowed evaluation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/eval/bits_per_character.h"
#include "beyond/models/sequence/char_lm.h"
#include "support/helpers.h"

using namespace beyond;
using namespace beyond::models;
using beyond::test::error_of;

namespace {
/// A periodic id sequence: learnable in a few steps.
torch::Tensor periodic_ids(int64_t n, int64_t vocab) {
  return torch::arange(0, n, torch::kInt64).remainder(vocab);
}
}  // namespace

TEST(CharLM, ShapesForEveryCell) {
  for (auto cell : {CellKind::RNN, CellKind::LSTM, CellKind::GRU}) {
    for (bool fused : {true, false}) {
      torch::manual_seed(0);
      CharLM lm(CharLMOptions(11, 16).embedding_dim(8).cell(cell).num_layers(2).fused(fused));
      auto [logits, state] = lm->forward(torch::randint(0, 11, {7, 3}, torch::kInt64));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{7, 3, 11}));
      EXPECT_EQ(state.h.sizes(), (std::vector<int64_t>{2, 3, 16}));
      EXPECT_EQ(state.c.defined(), cell == CellKind::LSTM);
    }
  }
  CharLM lm(CharLMOptions(5, 4));
  EXPECT_NE(error_of([&] { lm->forward(torch::zeros({3, 2})); }).find("[T, N] int64"), std::string::npos);
}

// Output dropout acts in training only, and a probability outside [0, 1) is refused.
TEST(CharLM, OutputDropoutOnlyInTraining) {
  torch::manual_seed(3);
  CharLM lm(CharLMOptions(11, 16).embedding_dim(8).output_dropout(0.5));
  const auto ids = torch::randint(0, 11, {6, 2}, torch::kInt64);
  EXPECT_FALSE(torch::equal(lm->forward(ids).first, lm->forward(ids).first));
  lm->eval();
  EXPECT_TRUE(torch::equal(lm->forward(ids).first, lm->forward(ids).first));
  EXPECT_NE(error_of([] { CharLM(CharLMOptions(11, 16).output_dropout(1.0)); }).find("output_dropout"),
            std::string::npos);
}

TEST(CharLM, AFewAdamStepsLowerTheLoss) {
  torch::manual_seed(1);
  CharLM lm(CharLMOptions(7, 32).embedding_dim(8));
  torch::optim::Adam adam(lm->parameters(), torch::optim::AdamOptions(1e-2));
  const auto ids = periodic_ids(8 * 20 + 1, 7);
  const auto input = ids.narrow(0, 0, 160).view({8, 20}).t(), target = ids.narrow(0, 1, 160).view({8, 20}).t();
  auto loss_of = [&] {
    auto [logits, state] = lm->forward(input.contiguous());
    return torch::nn::functional::cross_entropy(logits.reshape({-1, 7}), target.reshape(-1));
  };
  const double first = loss_of().item<double>();
  for (int i = 0; i < 30; ++i) {
    adam.zero_grad();
    auto loss = loss_of();
    loss.backward();
    adam.step();
  }
  const double last = loss_of().item<double>();
  EXPECT_NEAR(first, std::log(7.0), 0.3);  // untrained: about uniform
  EXPECT_LT(last, 0.5 * first);
}

TEST(CharLM, SamplingIsDeterministicPerSeed) {
  torch::manual_seed(2);
  CharLM lm(CharLMOptions(9, 16));
  const auto prime = torch::tensor({1, 2, 3}, torch::kInt64);
  auto draw = [&](uint64_t seed, double t) {
    return lm->sample(prime, 200, t, at::make_generator<at::CPUGeneratorImpl>(seed));
  };
  const auto a = draw(7, 1.0), b = draw(7, 1.0), c = draw(8, 1.0);
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{200}));
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_GE(a.min().item<int64_t>(), 0);
  EXPECT_LT(a.max().item<int64_t>(), 9);
  // A low temperature concentrates the draws on fewer symbols than temperature 1 does.
  const auto cold = draw(7, 0.05);
  EXPECT_LT(std::get<0>(at::_unique(cold)).numel(), std::get<0>(at::_unique(a)).numel());
  EXPECT_NE(error_of([&] { draw(7, 0.0); }).find("temperature must be positive"), std::string::npos);
}

TEST(CharLM, CarryingTheStateAcrossWindowsEqualsOneLongForward) {
  torch::manual_seed(3);
  CharLM lm(CharLMOptions(6, 12));
  lm->eval();
  torch::NoGradGuard no_grad;
  const auto ids = torch::randint(0, 6, {101}, torch::kInt64);
  const auto input = ids.narrow(0, 0, 100).view({100, 1}), target = ids.narrow(0, 1, 100).view({100, 1});
  eval::BitsPerCharacter whole, windows;
  whole.process(lm->forward(input).first, target);
  RecurrentState state;
  for (int64_t start = 0; start < 100; start += 30) {
    const int64_t len = std::min<int64_t>(30, 100 - start);
    auto [logits, next] = lm->forward(input.narrow(0, start, len), state);
    windows.process(logits, target.narrow(0, start, len));
    state = next;
  }
  EXPECT_EQ(windows.count(), 100);
  EXPECT_NEAR(windows.evaluate(), whole.evaluate(), 1e-5);
}
