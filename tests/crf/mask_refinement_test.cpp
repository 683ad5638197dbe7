// Mask refinement with the dense CRF (crf/mask_refinement.h): the unary rule, the distance transform,
// and a loose box / a dilated mask around a sharp-edged object refined towards the object.
// Torch-free (scripts/asan_crf.sh runs it under ASan/UBSan).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "beyond/core/error.h"
#include "beyond/crf/mask_refinement.h"
#include "crf/synthetic_object.h"

namespace beyond::crf {
namespace {

TEST(MaskRefinement, ChamferDistanceIsNearEuclidean) {
  const int64_t w = 40, h = 30;
  std::vector<uint8_t> target(w * h, 0);
  target[12 * w + 17] = 1;
  const auto d = distance_to(target, w, h);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const double exact = std::hypot(x - 17.0, y - 12.0);
      EXPECT_LE(std::abs(d[y * w + x] - exact), 0.09 * exact + 1e-6) << x << "," << y;
    }
  EXPECT_EQ(d[12 * w + 17], 0.0f);
  EXPECT_GT(distance_to(std::vector<uint8_t>(w * h, 0), w, h)[0], 1e30f);  // no target anywhere
}

TEST(MaskRefinement, UnaryRule) {
  const int64_t w = 30, h = 20;
  const auto box = box_mask(w, h, {5, 4, 20, 10});  // columns 5..24, rows 4..13
  EXPECT_EQ(box[4 * w + 5], 1);
  EXPECT_EQ(box[3 * w + 5], 0);
  EXPECT_EQ(box[13 * w + 24], 1);
  EXPECT_EQ(box[13 * w + 25], 0);
  MaskPrior prior;
  prior.band = 4;
  const auto p = coarse_mask_probability(box, w, h, true, prior);
  EXPECT_FLOAT_EQ(p[0], prior.outside_box);                       // outside a box: certain background
  EXPECT_NEAR(p[4 * w + 10], 0.5f + 0.2f * 0.25f, 1e-6);          // 1 px from the edge: 1/4 of the band
  EXPECT_FLOAT_EQ(p[9 * w + 15], prior.inside_box);               // deep inside
  // A mask gets a band on both sides of its edge, symmetric around 1/2.
  const auto q = coarse_mask_probability(box, w, h, false, prior);
  EXPECT_NEAR(q[3 * w + 10], 0.5f - 0.4f * 0.25f, 1e-6);
  EXPECT_NEAR(q[4 * w + 10], 0.5f + 0.4f * 0.25f, 1e-6);
  EXPECT_FLOAT_EQ(q[9 * w + 15], prior.inside);
  EXPECT_FLOAT_EQ(q[0], prior.outside);
  // The automatic bands: a box's is 25% of the shorter side (10 px) = 2.5 px, a mask's 15% = 1.5 -> 2 px.
  const auto a = coarse_mask_probability(box, w, h, true);
  EXPECT_NEAR(a[4 * w + 10], 0.5f + 0.2f * 0.4f, 1e-6);
  EXPECT_NEAR(a[5 * w + 10], 0.5f + 0.2f * 0.8f, 1e-6);
  const auto m = coarse_mask_probability(box, w, h, false);
  EXPECT_NEAR(m[4 * w + 10], 0.5f + 0.4f * 0.5f, 1e-6);
  EXPECT_NEAR(m[5 * w + 10], 0.5f + 0.4f * 1.0f, 1e-6);
}

TEST(MaskRefinement, LooseBoxAndDilatedMaskMoveOntoTheObject) {
  const SyntheticObject s = synthetic_object(140, 110, 7);
  const auto box = box_mask(s.width, s.height, s.loose_box);
  const double box_iou = mask_iou(box, s.truth);
  const auto refined = refine_mask(s.rgb.data(), s.width, s.height, box, true);
  const double refined_iou = mask_iou(refined, s.truth);
  std::cout << "box IoU " << box_iou << " -> refined " << refined_iou << "\n";
  EXPECT_LT(box_iou, 0.6);
  EXPECT_GT(refined_iou, box_iou + 0.2);
  // A coarse mask: the truth dilated by 8 px.
  const auto far = distance_to(s.truth, s.width, s.height);
  std::vector<uint8_t> dilated(far.size());
  for (size_t i = 0; i < far.size(); ++i) dilated[i] = far[i] <= 8;
  const double mask_before = mask_iou(dilated, s.truth);
  const double mask_after = mask_iou(refine_mask(s.rgb.data(), s.width, s.height, dilated, false), s.truth);
  std::cout << "dilated mask IoU " << mask_before << " -> refined " << mask_after << "\n";
  EXPECT_GT(mask_after, mask_before + 0.1);
}

TEST(MaskRefinement, BadInput) {
  const auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message([] { box_mask(10, 8, {5, 2, 6, 3}); }).find("does not lie in the 10x8 image"), std::string::npos);
  EXPECT_NE(message([] { box_mask(10, 8, {0, 0, 0, 3}); }).find("at least 1 pixel"), std::string::npos);
  EXPECT_NE(message([] { coarse_mask_probability(std::vector<uint8_t>(80, 0), 10, 8, false); }).find("no object pixels"),
            std::string::npos);
  EXPECT_NE(message([] { coarse_mask_probability(std::vector<uint8_t>(79, 1), 10, 8, false); }).find("79 pixels"),
            std::string::npos);
  MaskPrior bad;
  bad.inside = 0.4f;
  EXPECT_NE(message([&] { coarse_mask_probability(std::vector<uint8_t>(80, 1), 10, 8, false, bad); }).find("inside 0.4"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::crf
