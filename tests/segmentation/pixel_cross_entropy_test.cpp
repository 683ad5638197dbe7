// Pixel-wise cross-entropy: against a hand-written mean of -log softmax, ignore label, class weights,
// an all-ignored batch and labels outside the classes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/losses/pixel_cross_entropy.h"
#include "support/helpers.h"

namespace beyond::losses {
namespace {

/// sum over counted pixels of w[y] * -log softmax(logits)[y] / sum of w[y], by explicit loops.
double reference(const torch::Tensor& logits, const torch::Tensor& labels, const std::vector<double>& w) {
  const auto logp = torch::log_softmax(logits.to(torch::kFloat64), 1);
  double num = 0, den = 0;
  for (int64_t n = 0; n < labels.size(0); ++n)
    for (int64_t y = 0; y < labels.size(1); ++y)
      for (int64_t x = 0; x < labels.size(2); ++x) {
        const auto c = labels[n][y][x].item<int64_t>();
        if (c == 255) continue;
        num += -w[c] * logp[n][c][y][x].item<double>();
        den += w[c];
      }
  return num / den;
}

TEST(PixelCrossEntropy, IsTheMeanOverCountedPixelsWithOptionalClassWeights) {
  torch::manual_seed(0);
  const auto logits = torch::randn({2, 3, 4, 5});
  auto labels = torch::randint(0, 3, {2, 4, 5});
  labels[0][1].fill_(255);
  labels[1][2][3] = 255;
  EXPECT_NEAR(pixel_cross_entropy(logits, labels).item<double>(), reference(logits, labels, {1, 1, 1}), 1e-5);
  const std::vector<double> w = {0.2, 1.0, 3.0};
  const auto weighted = pixel_cross_entropy(logits, labels, PixelCrossEntropyOptions().class_weights(torch::tensor(w)));
  EXPECT_NEAR(weighted.item<double>(), reference(logits, labels, w), 1e-5);
  // Ignored pixels really are left out: changing their logits changes nothing.
  auto other = logits.clone();
  other[0].select(1, 1).normal_();
  EXPECT_NEAR(pixel_cross_entropy(other, labels).item<double>(), pixel_cross_entropy(logits, labels).item<double>(), 1e-6);
}

TEST(PixelCrossEntropy, AnAllIgnoredBatchGivesAZeroLossWithZeroGradient) {
  auto logits = torch::randn({1, 3, 2, 2}, torch::requires_grad());
  const auto loss = pixel_cross_entropy(logits, torch::full({1, 2, 2}, 255, torch::kInt64));
  EXPECT_EQ(loss.item<float>(), 0);
  loss.backward();
  EXPECT_EQ(logits.grad().abs().sum().item<float>(), 0);
}

TEST(PixelCrossEntropy, LabelsOutsideTheClassesAndBadShapesAreNamed) {
  const auto logits = torch::randn({1, 3, 2, 4});
  auto labels = torch::zeros({1, 2, 4}, torch::kInt64);
  labels[0][1][2] = 7;
  EXPECT_NE(test::error_of([&] { pixel_cross_entropy(logits, labels); })
                .find("label 7 at image 0, row 1, column 2 is outside [0, 3)"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { pixel_cross_entropy(logits, torch::zeros({1, 3, 4}, torch::kInt64)); })
                .find("labels must be an integer [N, H, W] tensor matching logits"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              pixel_cross_entropy(logits, torch::zeros({1, 2, 4}, torch::kInt64),
                                  PixelCrossEntropyOptions().class_weights(torch::ones({2})));
            }).find("class_weights must be [3]"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::losses
