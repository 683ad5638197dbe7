#include "beyond/structures/boxes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/helpers.h"

using beyond::Boxes;
using beyond::test::error_of;

TEST(Boxes, ConversionsRoundTrip) {
  const auto xywh = torch::tensor({{10., 20., 30., 40.}, {0., 0., 1., 2.5}}, torch::kFloat32);
  const Boxes b = Boxes::from_xywh(xywh);
  EXPECT_TRUE(torch::equal(b.tensor(), torch::tensor({{10., 20., 40., 60.}, {0., 0., 1., 2.5}}, torch::kFloat32)));
  EXPECT_TRUE(torch::allclose(b.to_xywh(), xywh));
  const auto cxcywh = b.to_cxcywh();
  EXPECT_TRUE(torch::allclose(cxcywh, torch::tensor({{25., 40., 30., 40.}, {0.5, 1.25, 1., 2.5}}, torch::kFloat32)));
  EXPECT_TRUE(torch::allclose(Boxes::from_cxcywh(cxcywh).tensor(), b.tensor()));
}

TEST(Boxes, AreaClipNonemptyScaleTranslate) {
  const Boxes b(torch::tensor({{-5., 2., 15., 12.}, {50., 50., 60., 55.}, {3., 3., 3., 9.}}));
  EXPECT_TRUE(torch::allclose(b.area(), torch::tensor({200., 50., 0.})));
  const Boxes c = b.clip(20, 40);
  EXPECT_TRUE(torch::equal(c.tensor(), torch::tensor({{0., 2., 15., 12.}, {40., 20., 40., 20.}, {3., 3., 3., 9.}})));
  EXPECT_TRUE(torch::equal(c.nonempty(), torch::tensor({true, false, false})));
  EXPECT_TRUE(torch::equal(b.nonempty(9.5), torch::tensor({true, false, false})));
  EXPECT_TRUE(torch::equal(b.scale(2, 0.5).tensor(),
                           torch::tensor({{-10., 1., 30., 6.}, {100., 25., 120., 27.5}, {6., 1.5, 6., 4.5}})));
  EXPECT_TRUE(torch::equal(b.translate(1, -2).tensor(),
                           torch::tensor({{-4., 0., 16., 10.}, {51., 48., 61., 53.}, {4., 1., 4., 7.}})));
  EXPECT_TRUE(torch::equal(b.inside(60, 60), torch::tensor({false, true, true})));
}

TEST(Boxes, IndexingAndCat) {
  const Boxes b(torch::arange(12, torch::kFloat32).view({3, 4}));
  EXPECT_TRUE(torch::equal(b[torch::tensor({2, 0})].tensor(), torch::tensor({{8., 9., 10., 11.}, {0., 1., 2., 3.}})));
  EXPECT_TRUE(torch::equal(b[torch::tensor({false, true, false})].tensor(), torch::tensor({{4., 5., 6., 7.}})));
  EXPECT_EQ(b[1].size(), 1);
  EXPECT_EQ(Boxes::cat({b, b[0], Boxes()}).size(), 4);
  EXPECT_NE(error_of([&] { b[torch::tensor({3})]; }).find("out of range [0, 3)"), std::string::npos);
  EXPECT_NE(error_of([&] { b[torch::tensor({true, false})]; }).find("shape [3]"), std::string::npos);
  EXPECT_NE(error_of([&] { b[torch::tensor({0.5})]; }).find("integer tensor"), std::string::npos);
}

TEST(Boxes, ShapesDtypesAndIou) {
  EXPECT_EQ(Boxes().size(), 0);
  EXPECT_EQ(Boxes(torch::empty({0})).tensor().sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(Boxes(torch::tensor({{0, 0, 2, 2}})).tensor().scalar_type(), torch::kFloat32);
  EXPECT_EQ(Boxes(torch::zeros({1, 4}, torch::kFloat64)).tensor().scalar_type(), torch::kFloat64);
  EXPECT_NE(error_of([] { Boxes(torch::zeros({2, 5})); }).find("[N, 4]"), std::string::npos);
  const Boxes a(torch::tensor({{0., 0., 2., 2.}})), c(torch::tensor({{1., 0., 3., 2.}, {5., 5., 6., 6.}}));
  EXPECT_TRUE(torch::allclose(a.iou(c), torch::tensor({{1. / 3, 0.}}, torch::kFloat32)));
}
