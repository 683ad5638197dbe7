#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <set>

#include "beyond/data/transforms/color_jitter.h"
#include "beyond/data/transforms/functional.h"
#include "beyond/data/transforms/normalize.h"
#include "beyond/data/transforms/random_crop.h"
#include "beyond/data/transforms/random_horizontal_flip.h"
#include "beyond/data/transforms/resize.h"
#include "beyond/data/transforms/scale_jitter.h"
#include "support/helpers.h"

using beyond::Boxes;
using beyond::Instances;
using beyond::data::Sample;
using beyond::test::error_of;
namespace T = beyond::data::transforms;

namespace {

/// A sample with every kind of annotation: two objects (rectangle masks), 17 keypoints each, and a
/// semantic map whose class is the object label (0 background, 255 on one border row).
Sample rich_sample(int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  Sample s;
  s.image = torch::randint(0, 256, {3, h, w}, torch::kUInt8);
  s.target = Instances(h, w);
  const auto boxes =
      torch::tensor({{0.1 * w, 0.2 * h, 0.6 * w, 0.7 * h}, {0.5 * w, 0.1 * h, 0.9 * w, 0.5 * h}}, torch::kFloat32)
          .round();
  s.target.set_boxes(Boxes(boxes));
  s.target.set_labels(torch::tensor({1, 2}));
  auto masks = torch::zeros({2, h, w}, torch::kBool);
  s.semantic = torch::zeros({h, w}, torch::kUInt8);
  for (int64_t i = 0; i < 2; ++i) {
    const auto b = boxes[i];
    const int64_t x1 = b[0].item<int64_t>(), y1 = b[1].item<int64_t>(), x2 = b[2].item<int64_t>(),
                  y2 = b[3].item<int64_t>();
    masks[i].slice(0, y1, y2).slice(1, x1, x2).fill_(true);
    s.semantic.slice(0, y1, y2).slice(1, x1, x2).fill_(i + 1);
  }
  s.semantic[0].fill_(255);
  s.target.set_masks(masks);
  auto kp = torch::rand({2, 17, 3});
  kp.select(2, 0).mul_(w);
  kp.select(2, 1).mul_(h);
  kp.slice(2, 0, 2).mul_(8).round_().div_(8);  // on a 1/8-pixel grid, exactly representable
  kp.select(2, 2).copy_(torch::randint(0, 3, {2, 17}));
  s.target.set_keypoints(kp);
  s.target.set("iscrowd", torch::tensor({0, 1}, torch::kUInt8));
  return s;
}

double mask_iou(const torch::Tensor& a, const torch::Tensor& b) {
  const auto inter = a.logical_and(b).sum().item<double>(), uni = a.logical_or(b).sum().item<double>();
  return uni == 0 ? 1.0 : inter / uni;
}

void expect_same(const Sample& a, const Sample& b) {
  EXPECT_TRUE(torch::equal(a.image, b.image));
  EXPECT_TRUE(torch::equal(a.semantic, b.semantic));
  ASSERT_EQ(a.target.field_names(), b.target.field_names());
  for (const auto& name : a.target.field_names())
    EXPECT_TRUE(torch::equal(a.target.get(name), b.target.get(name))) << name;
}

}  // namespace

TEST(Transforms, FlipTwiceReturnsEverythingExactly) {
  const Sample original = rich_sample(21, 34, 1);
  Sample s = original;
  auto gen = T::make_generator(0);
  const T::RandomHorizontalFlip flip(T::RandomHorizontalFlipOptions().p(1.0));
  flip.apply(s, gen);
  EXPECT_FALSE(torch::equal(s.image, original.image));
  EXPECT_FALSE(torch::equal(s.target.get("boxes"), original.target.get("boxes")));
  flip.apply(s, gen);
  expect_same(s, original);
  // Coordinates off any binary grid come back within float32 rounding of (W - x).
  s = original;
  s.target.set_keypoints(torch::rand({2, 17, 3}) * 34);
  const auto before = s.target.keypoints().clone();
  flip.apply(s, gen);
  flip.apply(s, gen);
  EXPECT_TRUE(torch::allclose(s.target.keypoints(), before, 0, 1e-5));
}

TEST(Transforms, FlipMovesBoxesMasksAndSwapsKeypointsLeftRight) {
  Sample s;
  s.image = torch::zeros({3, 10, 30}, torch::kUInt8);
  s.image[0][4][2] = 200;
  s.target = Instances(10, 30);
  s.target.set_boxes(Boxes(torch::tensor({{2., 3., 10., 8.}})));
  auto mask = torch::zeros({1, 10, 30}, torch::kUInt8);
  mask[0][4][2] = 1;
  s.target.set_masks(mask);
  auto kp = torch::zeros({1, 17, 3});
  kp[0][0] = torch::tensor({15., 1., 2.});  // nose: on the axis
  kp[0][1] = torch::tensor({5., 6., 2.});   // left eye
  kp[0][2] = torch::tensor({9., 6., 1.});   // right eye
  kp[0][9] = torch::tensor({4., 7., 2.});   // left wrist, right wrist (10) unlabelled
  s.target.set_keypoints(kp);
  T::hflip(s, T::coco_person_flip_map());
  EXPECT_TRUE(torch::equal(s.target.get("boxes"), torch::tensor({{20., 3., 28., 8.}})));
  EXPECT_EQ(s.image[0][4][27].item<int64_t>(), 200);
  EXPECT_EQ(s.target.masks()[0][4][27].item<int64_t>(), 1);
  EXPECT_EQ(s.target.masks().sum().item<int64_t>(), 1);
  const auto k = s.target.keypoints()[0];
  EXPECT_TRUE(torch::equal(k[0], torch::tensor({15., 1., 2.})));
  EXPECT_TRUE(torch::equal(k[1], torch::tensor({21., 6., 1.})));   // new left eye = mirrored right eye
  EXPECT_TRUE(torch::equal(k[2], torch::tensor({25., 6., 2.})));   // new right eye = mirrored left eye
  EXPECT_TRUE(torch::equal(k[10], torch::tensor({26., 7., 2.})));  // the wrist moved to the right side
  EXPECT_EQ(k[9][2].item<double>(), 0);
}

TEST(Transforms, ResizeFollowsShortestEdgeRule) {
  EXPECT_EQ(T::shortest_edge_size(40, 60, 80, 1000), (std::array<int64_t, 2>{80, 120}));
  EXPECT_EQ(T::shortest_edge_size(40, 60, 80, 100), (std::array<int64_t, 2>{67, 100}));  // capped
  EXPECT_EQ(T::shortest_edge_size(480, 640, 800, 1333), (std::array<int64_t, 2>{800, 1067}));
  EXPECT_EQ(T::shortest_edge_size(300, 1000, 800, 1333), (std::array<int64_t, 2>{400, 1333}));
  EXPECT_EQ(T::shortest_edge_size(300, 1000, 800, 0), (std::array<int64_t, 2>{800, 2667}));
  Sample s = rich_sample(40, 60, 2);
  auto gen = T::make_generator(3);
  T::Resize(T::ResizeOptions({80}, 1000)).apply(s, gen);
  EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 80, 120}));
  EXPECT_EQ(s.target.image_size(), (std::array<int64_t, 2>{80, 120}));
  EXPECT_EQ(s.target.masks().sizes(), (std::vector<int64_t>{2, 80, 120}));
  EXPECT_EQ(s.semantic.sizes(), (std::vector<int64_t>{80, 120}));
  EXPECT_EQ(s.image.scalar_type(), torch::kUInt8);
  // Multi-scale: every draw is one of the sizes, and all of them occur.
  std::set<int64_t> seen;
  const T::Resize multi(T::ResizeOptions({20, 30, 40}, 0));
  for (int i = 0; i < 40; ++i) {
    Sample t = rich_sample(40, 60, 2);
    multi.apply(t, gen);
    seen.insert(t.height());
  }
  EXPECT_EQ(seen, (std::set<int64_t>{20, 30, 40}));
}

TEST(Transforms, ResizeThenInverseRestoresAnnotations) {
  const Sample original = rich_sample(40, 60, 4);
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{64, 96}, {80, 120}, {27, 41}}) {
    Sample s = original;
    T::resize(s, h, w);
    EXPECT_TRUE(torch::allclose(
        s.target.get("boxes"),
        original.target.get("boxes") * torch::tensor({w / 60., h / 40., w / 60., h / 40.}, torch::kFloat32)));
    T::resize(s, 40, 60);
    // Stated tolerance: 1e-4 pixels for boxes and keypoints (float32 rounding of two scalings).
    EXPECT_TRUE(torch::allclose(s.target.get("boxes"), original.target.get("boxes"), 0, 1e-4)) << h;
    EXPECT_TRUE(torch::allclose(s.target.keypoints(), original.target.keypoints(), 0, 1e-4)) << h;
    EXPECT_TRUE(torch::equal(s.target.labels(), original.target.labels()));
    for (int64_t i = 0; i < 2; ++i) {
      const double iou = mask_iou(s.target.masks()[i], original.target.masks()[i]);
      // Upsampling and back is exact; downsampling to 27 x 41 loses at most a pixel row per edge.
      EXPECT_GT(iou, h > 40 ? 0.999 : 0.85) << h << " mask " << i;
    }
    const double agree = s.semantic.eq(original.semantic).to(torch::kFloat64).mean().item<double>();
    EXPECT_GT(agree, h > 40 ? 0.999 : 0.95) << h;
  }
}

TEST(Transforms, CropClipsBoxesAndRemovesVanishedInstances) {
  Sample s;
  s.image = torch::arange(20 * 30, torch::kInt32).view({1, 20, 30}).expand({3, 20, 30}).to(torch::kFloat32);
  s.target = Instances(20, 30);
  s.target.set_boxes(Boxes(torch::tensor({{0., 0., 8., 8.}, {20., 0., 25., 4.}, {6., 6., 16., 14.}})));
  s.target.set_labels(torch::tensor({1, 2, 3}));
  auto masks = torch::zeros({3, 20, 30}, torch::kBool);
  masks[2].slice(0, 6, 14).slice(1, 6, 16).fill_(true);
  s.target.set_masks(masks);
  s.target.set_keypoints(
      torch::tensor({{{2., 2., 2.}, {7., 7., 2.}}, {{21., 1., 2.}, {22., 2., 2.}}, {{16., 14., 1.}, {17.5, 10., 2.}}}));
  s.semantic = torch::zeros({20, 30}, torch::kInt64);
  s.semantic[9][9] = 7;
  T::crop(s, /*top=*/5, /*left=*/5, /*height=*/10, /*width=*/12);
  EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 10, 12}));
  EXPECT_EQ(s.image[0][0][0].item<float>(), 5 * 30 + 5);
  EXPECT_EQ(s.target.size(), 2);
  EXPECT_TRUE(torch::equal(s.target.labels(), torch::tensor({1, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.target.get("boxes"), torch::tensor({{0., 0., 3., 3.}, {1., 1., 11., 9.}})));
  EXPECT_EQ(s.target.masks().sizes(), (std::vector<int64_t>{2, 10, 12}));
  EXPECT_EQ(s.target.masks()[1].sum().item<int64_t>(), 8 * 10);
  EXPECT_TRUE(s.target.masks()[1][1][1].item<bool>());
  EXPECT_TRUE(torch::equal(s.target.keypoints(),
                           torch::tensor({{{-3., -3., 0.}, {2., 2., 2.}}, {{11., 9., 1.}, {12.5, 5., 0.}}})));
  EXPECT_EQ(s.semantic[4][4].item<int64_t>(), 7);
  EXPECT_NE(error_of([&] { T::crop(s, 5, 0, 6, 12); }).find("not inside the 10 x 12 image"), std::string::npos);
}

TEST(Transforms, RandomCropKeepsWholeImageWhenCropIsLarger) {
  const Sample original = rich_sample(20, 30, 5);
  Sample s = original;
  auto gen = T::make_generator(1);
  T::RandomCrop(T::RandomCropOptions(50, 50)).apply(s, gen);
  expect_same(s, original);
  T::RandomCrop(T::RandomCropOptions(10, 12)).apply(s, gen);
  EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 10, 12}));
  EXPECT_EQ(s.target.masks().size(0), s.target.size());
  EXPECT_TRUE(s.target.boxes().inside(10, 12).all().item<bool>());
}

TEST(Transforms, ScaleJitterStaysInItsRange) {
  auto gen = T::make_generator(9);
  const T::ScaleJitter jitter(T::ScaleJitterOptions(100, 100).min_scale(0.5).max_scale(1.5));
  std::set<int64_t> widths;
  for (int i = 0; i < 20; ++i) {
    Sample s = rich_sample(40, 80, 6);
    jitter.apply(s, gen);
    EXPECT_GE(s.width(), 50);
    EXPECT_LE(s.width(), 150);
    EXPECT_NEAR(static_cast<double>(s.width()) / s.height(), 2.0, 0.05);
    EXPECT_EQ(s.target.masks().size(2), s.width());
    widths.insert(s.width());
  }
  EXPECT_GT(widths.size(), 10u);
}

TEST(Transforms, NormalizeRoundTrip) {
  const Sample original = rich_sample(8, 9, 7);
  Sample s = original;
  auto gen = T::make_generator(0);
  T::Normalize().apply(s, gen);
  EXPECT_EQ(s.image.scalar_type(), torch::kFloat32);
  const double v = original.image[0][3][4].item<double>() / 255;
  EXPECT_NEAR(s.image[0][3][4].item<double>(), (v - 0.485) / 0.229, 1e-5);
  const auto back = T::denormalize(s.image, T::imagenet_mean(), T::imagenet_std());
  EXPECT_TRUE(torch::equal((back * 255).round().to(torch::kUInt8), original.image));
  EXPECT_NE(error_of([&] {
              T::Normalize(T::NormalizeOptions().mean({0.5}).std({0.5})).apply(s, gen);
            }).find("mean has 1 values but the image has 3 channels"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              T::Normalize(T::NormalizeOptions().std({1, 0, 1}));
            }).find("std must be positive"),
            std::string::npos);
}

TEST(Transforms, ColorJitterChangesOnlyTheImage) {
  // Hue: a third of a turn takes red to green; saturation 0 gives grey.
  const auto red = torch::tensor({1.f, 0.f, 0.f}).view({3, 1, 1}).expand({3, 2, 2}).contiguous();
  EXPECT_TRUE(torch::allclose(T::adjust_hue(red, 1.0 / 3),
                              torch::tensor({0.f, 1.f, 0.f}).view({3, 1, 1}).expand({3, 2, 2}), 0, 1e-5));
  const auto img = torch::rand({3, 5, 6});
  EXPECT_TRUE(torch::allclose(T::adjust_hue(T::adjust_hue(img, 0.3), -0.3), img, 0, 1e-5));
  EXPECT_TRUE(torch::allclose(T::adjust_hue(img, 0), img, 0, 1e-6));
  const auto grey = T::adjust_saturation(img, 0);
  EXPECT_TRUE(torch::allclose(grey[0], grey[1]) && torch::allclose(grey[1], grey[2]));
  EXPECT_NEAR(T::adjust_contrast(img, 0).std().item<double>(), 0, 1e-6);

  const Sample original = rich_sample(16, 16, 8);
  Sample s = original;
  auto gen = T::make_generator(4);
  T::ColorJitter(T::ColorJitterOptions().brightness(0.4).contrast(0.4).saturation(0.4).hue(0.1)).apply(s, gen);
  EXPECT_EQ(s.image.scalar_type(), torch::kUInt8);
  EXPECT_FALSE(torch::equal(s.image, original.image));
  for (const auto& name : original.target.field_names()) {
    EXPECT_TRUE(torch::equal(s.target.get(name), original.target.get(name)));
  }
  Sample same = original;
  T::ColorJitter().apply(same, gen);  // all strengths 0: identity
  EXPECT_TRUE(torch::equal(same.image, original.image));
}

TEST(Transforms, PipelineIsDeterministicGivenTheGenerator) {
  const T::Compose pipeline(
      {std::make_shared<T::RandomHorizontalFlip>(), std::make_shared<T::ScaleJitter>(T::ScaleJitterOptions(48, 48)),
       std::make_shared<T::RandomCrop>(T::RandomCropOptions(32, 32)),
       std::make_shared<T::ColorJitter>(T::ColorJitterOptions().brightness(0.3).hue(0.05)),
       std::make_shared<T::Resize>(T::ResizeOptions({24, 32, 40}, 64)), std::make_shared<T::Normalize>()});
  const auto run = [&](uint64_t seed, uint64_t global_seed) {
    Sample s = rich_sample(40, 50, 10);
    torch::manual_seed(global_seed);  // the global generator must not matter
    auto gen = T::make_generator(seed);
    std::vector<Sample> out;
    for (int i = 0; i < 5; ++i) out.push_back(pipeline(s, gen));
    return out;
  };
  const auto a = run(11, 1), b = run(11, 2), c = run(12, 1);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    expect_same(a[i], b[i]);
    differs = differs || !a[i].image.sizes().equals(c[i].image.sizes()) || !torch::equal(a[i].image, c[i].image);
  }
  EXPECT_TRUE(differs);
}

TEST(Transforms, BadInputGivesClearErrors) {
  auto gen = T::make_generator(0);
  const T::Resize resize;
  Sample s = rich_sample(10, 12, 11);
  s.target.set_image_size(10, 13);
  EXPECT_NE(error_of([&] {
              resize.apply(s, gen);
            }).find("Resize: the target is for a 10 x 13 image but the image is 10 x 12"),
            std::string::npos);
  s = rich_sample(10, 12, 11);
  s.image = s.image.to(torch::kInt32);
  EXPECT_NE(error_of([&] { resize.apply(s, gen); }).find("uint8 or floating point, got Int"), std::string::npos);
  s = rich_sample(10, 12, 11);
  s.semantic = s.semantic.to(torch::kFloat32);
  EXPECT_NE(error_of([&] { resize.apply(s, gen); }).find("integer labels"), std::string::npos);
  s = rich_sample(10, 12, 11);
  s.semantic = torch::zeros({10, 11}, torch::kUInt8);
  EXPECT_NE(error_of([&] { resize.apply(s, gen); }).find("must be [10, 12]"), std::string::npos);
  s = rich_sample(10, 12, 11);
  s.image = torch::zeros({10, 12}, torch::kUInt8);
  EXPECT_NE(error_of([&] { resize.apply(s, gen); }).find("[C, H, W]"), std::string::npos);
  s = rich_sample(10, 12, 11);
  s.target.set("masks", torch::zeros({2, 10, 12}, torch::kFloat32));  // bypassing set_masks' check
  EXPECT_NE(error_of([&] { resize.apply(s, gen); }).find("masks must be bool or uint8"), std::string::npos);
  s = rich_sample(10, 12, 11);
  s.target.set_keypoints(torch::zeros({2, 5, 3}));
  EXPECT_NE(error_of([&] {
              T::RandomHorizontalFlip(T::RandomHorizontalFlipOptions().p(1)).apply(s, gen);
            }).find("flip map has 17 entries but the instances have 5 keypoints"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              T::RandomHorizontalFlip(T::RandomHorizontalFlipOptions().flip_map({1, 2, 0}));
            }).find("entry 0 is 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { T::Resize(T::ResizeOptions({}, 10)); }).find("min_sizes is empty"), std::string::npos);
  EXPECT_NE(error_of([] { T::ColorJitter(T::ColorJitterOptions().hue(0.7)); }).find("hue must be in [0, 0.5]"),
            std::string::npos);
  s = rich_sample(10, 12, 11);
  s.image = s.image.slice(0, 0, 1);
  EXPECT_NE(error_of([&] { T::ColorJitter().apply(s, gen); }).find("RGB image"), std::string::npos);
}
