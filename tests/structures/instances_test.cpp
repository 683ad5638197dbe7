#include "beyond/structures/instances.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/helpers.h"

using beyond::Boxes;
using beyond::Instances;
using beyond::test::error_of;

namespace {
Instances three(int64_t h = 8, int64_t w = 10) {
  Instances in(h, w);
  in.set_boxes(Boxes(torch::tensor({{0., 0., 4., 4.}, {2., 2., 9., 7.}, {5., 1., 6., 3.}})));
  in.set_labels(torch::tensor({1, 2, 3}, torch::kInt32));
  in.set_scores(torch::tensor({0.9f, 0.5f, 0.7f}));
  auto masks = torch::zeros({3, h, w}, torch::kBool);
  for (int64_t i = 0; i < 3; ++i) masks[i][i][i] = true;
  in.set_masks(masks);
  in.set_keypoints(torch::arange(3 * 2 * 3, torch::kFloat32).view({3, 2, 3}));
  return in;
}
}  // namespace

TEST(Instances, FieldsShareOneLengthAndIndexTogether) {
  const Instances in = three();
  EXPECT_EQ(in.size(), 3);
  EXPECT_EQ(in.labels().scalar_type(), torch::kInt64);
  EXPECT_EQ(in.field_names(), (std::vector<std::string>{"boxes", "labels", "scores", "masks", "keypoints"}));
  const Instances sel = in[torch::tensor({2, 0})];
  EXPECT_EQ(sel.size(), 2);
  EXPECT_EQ(sel.image_size(), in.image_size());
  EXPECT_TRUE(torch::equal(sel.labels(), torch::tensor({3, 1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(sel.boxes().tensor(), in.boxes()[torch::tensor({2, 0})].tensor()));
  EXPECT_TRUE(sel.masks()[0][2][2].item<bool>());
  EXPECT_TRUE(sel.masks()[1][0][0].item<bool>());
  EXPECT_TRUE(torch::equal(sel.keypoints()[1], in.keypoints()[0]));
  const Instances confident = in[in.scores() > 0.6];
  EXPECT_TRUE(torch::equal(confident.labels(), torch::tensor({1, 3}, torch::kInt64)));
  EXPECT_EQ(in[1].size(), 1);
  EXPECT_TRUE(torch::equal(in[1].labels(), torch::tensor({2}, torch::kInt64)));
}

TEST(Instances, LengthMismatchNamesFieldAndLengths) {
  Instances in = three();
  const auto msg = error_of([&] { in.set("iscrowd", torch::zeros({4}, torch::kUInt8)); });
  EXPECT_NE(msg.find("'iscrowd' has length 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("length 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'boxes'"), std::string::npos) << msg;
  // Replacing the only field may change the length.
  Instances one(4, 4);
  one.set("a", torch::zeros({2}));
  one.set("a", torch::zeros({5}));
  EXPECT_EQ(one.size(), 5);
}

TEST(Instances, SetGetHasRemove) {
  Instances in = three();
  EXPECT_TRUE(in.has("scores"));
  in.remove("scores");
  EXPECT_FALSE(in.has("scores"));
  const auto msg = error_of([&] { in.scores(); });
  EXPECT_NE(msg.find("no field 'scores'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("boxes, labels, masks, keypoints"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { in.remove("nope"); }).find("no field 'nope'"), std::string::npos);
  in.set("iscrowd", torch::tensor({0, 1, 0}, torch::kUInt8));
  EXPECT_EQ(in.get("iscrowd").sum().item<int64_t>(), 1);
}

TEST(Instances, TypedSettersCheckShapesAndDtypes) {
  Instances in(8, 10);
  EXPECT_NE(error_of([&] {
              in.set_masks(torch::zeros({1, 8, 9}, torch::kBool));
            }).find("[N, 8, 10]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { in.set_masks(torch::zeros({1, 8, 10})); }).find("bool or uint8"), std::string::npos);
  EXPECT_NE(error_of([&] { in.set_labels(torch::zeros({2})); }).find("integer [N]"), std::string::npos);
  EXPECT_NE(error_of([&] { in.set_scores(torch::zeros({2}, torch::kInt64)); }).find("floating-point [N]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { in.set_keypoints(torch::zeros({2, 17, 2})); }).find("[N, K, 3]"), std::string::npos);
  in.set_keypoints(torch::zeros({2, 17, 3}, torch::kInt64));
  EXPECT_EQ(in.keypoints().scalar_type(), torch::kFloat32);
}

TEST(Instances, Cat) {
  const Instances a = three(), b = three()[torch::tensor({1})];
  const Instances c = Instances::cat({a, b});
  EXPECT_EQ(c.size(), 4);
  EXPECT_TRUE(torch::equal(c.labels(), torch::tensor({1, 2, 3, 2}, torch::kInt64)));
  EXPECT_EQ(c.masks().size(0), 4);
  EXPECT_NE(error_of([&] { Instances::cat({a, three(9, 10)}); }).find("9 x 10"), std::string::npos);
  Instances fewer = three();
  fewer.remove("keypoints");
  EXPECT_NE(error_of([&] { Instances::cat({a, fewer}); }).find("fields"), std::string::npos);
}
