#include "beyond/models/detection/matcher.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "beyond/core/error.h"
#include "beyond/models/detection/balanced_sampler.h"

namespace {

using beyond::models::BalancedPositiveNegativeSampler;
using beyond::models::Matcher;

std::vector<int64_t> to_vec(const torch::Tensor& t) {
  const auto c = t.to(torch::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

TEST(Matcher, ThresholdsWithoutLowQualityMatches) {
  // 2 ground truth x 6 predictions; thresholds 0.7 / 0.3 with both boundaries hit exactly.
  const auto iou = torch::tensor({{0.9, 0.5, 0.1, 0.2, 0.0, 0.7},  //
                                  {0.1, 0.6, 0.2, 0.65, 0.3, 0.0}});
  const Matcher matcher(0.7, 0.3);
  EXPECT_EQ(to_vec(matcher(iou)), (std::vector<int64_t>{0, -2, -1, -2, -2, 0}));
  EXPECT_EQ(matcher(iou).scalar_type(), torch::kInt64);
}

TEST(Matcher, LowQualityMatchesGiveEveryGroundTruthAMatch) {
  const auto iou = torch::tensor({{0.9, 0.5, 0.1, 0.2, 0.0},  //
                                  {0.1, 0.6, 0.2, 0.65, 0.65}});
  const Matcher matcher(0.7, 0.3, true);
  // gt1's best quality 0.65 is reached by predictions 3 and 4 (a tie): both match gt1.
  EXPECT_EQ(to_vec(matcher(iou)), (std::vector<int64_t>{0, -2, -1, 1, 1}));
}

TEST(Matcher, LowQualityMatchKeepsThePredictionsOwnBestGroundTruth) {
  // gt1's best prediction is 0, but prediction 0 overlaps gt0 more: it stays with gt0 (torchvision).
  const auto iou = torch::tensor({{0.5, 0.2}, {0.4, 0.3}});
  EXPECT_EQ(to_vec(Matcher(0.7, 0.3, true)(iou)), (std::vector<int64_t>{0, -2}));
  EXPECT_EQ(to_vec(Matcher(0.7, 0.3, false)(iou)), (std::vector<int64_t>{-2, -2}));
  // Equal thresholds: nothing is "between".
  EXPECT_EQ(to_vec(Matcher(0.5, 0.5)(iou)), (std::vector<int64_t>{0, -1}));
}

TEST(Matcher, RejectsBadInput) {
  EXPECT_THROW(Matcher(0.3, 0.7), beyond::Error);
  try {
    Matcher(0.7, 0.3)(torch::zeros({0, 4}));
    FAIL() << "expected an error";
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no ground-truth boxes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Matcher(0.7, 0.3)(torch::zeros({2, 0})), beyond::Error);
}

TEST(BalancedSampler, CountsAndMembership) {
  // 3 positives (labels 1 and 2), 10 negatives, 4 ignored.
  const auto labels = torch::tensor({1, 0, -1, 0, 0, 2, 0, -2, 0, 0, 1, 0, -1, 0, 0, 0, -1}, torch::kInt64);
  const BalancedPositiveNegativeSampler sampler(8, 0.25);
  const auto [pos, neg] = sampler({labels, labels});
  ASSERT_EQ(pos.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(pos[i].scalar_type(), torch::kUInt8);
    EXPECT_EQ(pos[i].sum().item<int64_t>(), 2) << "int(8 * 0.25) positives";
    EXPECT_EQ(neg[i].sum().item<int64_t>(), 6) << "the rest negatives";
    EXPECT_TRUE((pos[i].to(torch::kBool) <= (labels >= 1)).all().item<bool>());
    EXPECT_TRUE((neg[i].to(torch::kBool) <= (labels == 0)).all().item<bool>());
  }
  // Few positives: all of them, negatives fill the batch; few negatives: all of them.
  const auto [pos2, neg2] = BalancedPositiveNegativeSampler(12, 0.5)({labels});
  EXPECT_EQ(pos2[0].sum().item<int64_t>(), 3);
  EXPECT_EQ(neg2[0].sum().item<int64_t>(), 9);
  const auto [pos3, neg3] = BalancedPositiveNegativeSampler(100, 0.5)({labels});
  EXPECT_EQ(pos3[0].sum().item<int64_t>(), 3);
  EXPECT_EQ(neg3[0].sum().item<int64_t>(), 10);
}

TEST(BalancedSampler, GeneratorMakesItReproducibleAndUniform) {
  const auto labels = torch::cat({torch::ones({10}, torch::kInt64), torch::zeros({30}, torch::kInt64)});
  const BalancedPositiveNegativeSampler sampler(8, 0.5);
  auto g1 = at::detail::createCPUGenerator(7), g2 = at::detail::createCPUGenerator(7);
  const auto a = sampler({labels}, g1), b = sampler({labels}, g2);
  EXPECT_TRUE(torch::equal(a.first[0], b.first[0]));
  EXPECT_TRUE(torch::equal(a.second[0], b.second[0]));
  // The global generator, seeded the same, repeats itself too.
  torch::manual_seed(3);
  const auto c = sampler({labels});
  torch::manual_seed(3);
  const auto d = sampler({labels});
  EXPECT_TRUE(torch::equal(c.first[0], d.first[0]));
  // Each positive is drawn with probability 4/10: over 2000 draws every count is near 800.
  auto counts = torch::zeros({40}, torch::kInt64);
  for (int i = 0; i < 2000; ++i) counts += sampler({labels}, g1).first[0].to(torch::kInt64);
  const auto pos_counts = counts.slice(0, 0, 10);
  EXPECT_GT(pos_counts.min().item<int64_t>(), 700);
  EXPECT_LT(pos_counts.max().item<int64_t>(), 900);
  EXPECT_EQ(counts.slice(0, 10).sum().item<int64_t>(), 0);
}

TEST(BalancedSampler, RejectsBadOptions) {
  EXPECT_THROW(BalancedPositiveNegativeSampler(0, 0.5), beyond::Error);
  EXPECT_THROW(BalancedPositiveNegativeSampler(4, 1.5), beyond::Error);
}

}  // namespace
