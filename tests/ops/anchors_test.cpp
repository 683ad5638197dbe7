// The AnchorGenerator class over the anchor ops (the ops themselves are compared with torchvision in
// tests/parity/ops_parity_test.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/ops/anchors.h"
#include "beyond/ops/box_ops.h"

namespace beyond {
namespace {

TEST(AnchorGenerator, LevelsConcatenateInOrderWithTheRightCounts) {
  ops::AnchorGenerator gen({{32}, {64, 128}}, {{0.5, 1.0, 2.0}});
  EXPECT_EQ(gen.num_anchors_per_location(), (std::vector<int64_t>{3, 6}));
  auto anchors = gen.anchors({64, 96}, {{8, 12}, {4, 6}});
  ASSERT_EQ(anchors.size(0), 8 * 12 * 3 + 4 * 6 * 6);
  // The first anchor of level 0 is the (ratio 0.5, size 32) cell anchor at (0, 0): round(+-22.6, +-11.3).
  auto first = anchors[0];
  EXPECT_EQ((first[2] - first[0]).item<float>(), 46.0f);
  EXPECT_EQ((first[3] - first[1]).item<float>(), 22.0f);
  // Level 1 starts after level 0 and uses stride 16 = 64 / 4.
  auto level1 = anchors.slice(0, 8 * 12 * 3);
  EXPECT_TRUE(torch::equal(level1.slice(0, 6, 12) - level1.slice(0, 0, 6),
                           torch::tensor({16.f, 0.f, 16.f, 0.f}).expand({6, 4})));
}

TEST(AnchorGenerator, RejectsMismatchedLevels) {
  EXPECT_THROW(ops::AnchorGenerator({{32}, {64}}, {{1.0}, {1.0}, {2.0}}), c10::Error);
  ops::AnchorGenerator gen({{32}}, {{1.0}});
  EXPECT_THROW(gen.anchors({64, 64}, {{8, 8}, {4, 4}}), c10::Error);
}

TEST(BoxCoder, DecodeInvertsEncode) {
  auto proposals = torch::tensor({{10.0, 10.0, 50.0, 40.0}, {0.0, 5.0, 8.0, 30.0}}, torch::kFloat64);
  auto gt = torch::tensor({{12.0, 8.0, 47.0, 45.0}, {1.0, 4.0, 10.0, 28.0}}, torch::kFloat64);
  auto codes = ops::encode_boxes(gt, proposals, {10, 10, 5, 5});
  EXPECT_TRUE(torch::allclose(ops::decode_boxes(codes, proposals, {10, 10, 5, 5}, std::log(1000.0 / 16)), gt));
}

}  // namespace
}  // namespace beyond
