// VOC AP on hand-computed cases (the devkit's definitions: +1 pixel boxes, difficult objects neither
// true nor false positives, IoU >= 0.5, 11-point and all-point interpolation).
#include <gtest/gtest.h>

#include "beyond/core/error.h"
#include "beyond/eval/voc_eval.h"

namespace {

using beyond::eval::VocDetection;
using beyond::eval::VocEvaluator;
using beyond::eval::VocObject;

TEST(VocEval, IouCountsInclusivePixels) {
  EXPECT_DOUBLE_EQ(beyond::eval::voc_iou({0, 0, 9, 9}, {0, 0, 9, 9}), 1);
  EXPECT_DOUBLE_EQ(beyond::eval::voc_iou({0, 0, 9, 9}, {5, 0, 14, 9}), 50.0 / 150);  // 5 x 10 shared pixels
  EXPECT_DOUBLE_EQ(beyond::eval::voc_iou({0, 0, 9, 9}, {10, 0, 19, 9}), 0);           // touching, no overlap
}

TEST(VocEval, DifficultDuplicateAndBothInterpolations) {
  VocEvaluator ev({"cat", "dog"});
  // image A: an object and a difficult one; image B: an object
  ev.process({{0, {0, 0, 9, 9}, false}, {0, {20, 20, 29, 29}, true}},
             {{0, .9, {0, 0, 9, 9}}, {0, .8, {20, 20, 29, 29}}, {0, .7, {0, 0, 9, 9}}});
  ev.process({{0, {0, 0, 9, 9}, false}}, {{0, .6, {0, 0, 9, 9}}, {0, .5, {50, 50, 59, 59}}});
  const auto r = ev.evaluate();
  // TP, (difficult), FP duplicate, TP, FP: recall .5 .5 .5 1 1, precision 1 1 .5 2/3 .5
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_EQ(r.classes[0].num_positives, 2);
  EXPECT_EQ(r.classes[0].num_detections, 5);
  EXPECT_NEAR(r.classes[0].ap, .5 * 1 + .5 * 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.classes[0].ap07, (6 * 1 + 5 * 2.0 / 3) / 11, 1e-12);
  // no dog objects: AP -1, not averaged
  EXPECT_EQ(r.classes[1].ap, -1);
  EXPECT_NEAR(r.map, r.classes[0].ap, 1e-15);
  EXPECT_NEAR(r.map07, r.classes[0].ap07, 1e-15);
  EXPECT_NE(r.summary().find("mAP"), std::string::npos);
  EXPECT_NE(r.to_json().find("\"dog\": {\"AP\": -1"), std::string::npos) << r.to_json();
}

TEST(VocEval, HalfOverlapIsEnoughAndClassesAreSeparate) {
  VocEvaluator ev({"a", "b"});
  // IoU exactly 0.5 (100 shared pixels, union 200): a true positive (>=); a class-b detection on the
  // class-a object is a false positive of class b, not a match
  ev.process({{0, {0, 0, 9, 9}, false}, {1, {40, 40, 49, 49}, false}},
             {{0, .9, {0, 0, 9, 19}}, {1, .8, {0, 0, 9, 9}}, {1, .7, {40, 40, 49, 49}}});
  const auto r = ev.evaluate();
  EXPECT_NEAR(r.classes[0].ap, 1, 1e-12);
  EXPECT_NEAR(r.classes[1].ap, .5, 1e-12);       // FP then TP: precision .5 at recall 1
  EXPECT_NEAR(r.classes[1].ap07, .5, 1e-12);
  EXPECT_NEAR(r.map, .75, 1e-12);
}

TEST(VocEval, ElevenPointRecallThresholds) {
  // recall reaches .3 exactly; numpy.arange's third point is 0.30000000000000004, above it
  std::vector<double> rec{.1, .2, .3}, prec{1, 1, 1};
  EXPECT_NEAR(beyond::eval::voc_ap_11_points(rec, prec), 3.0 / 11, 1e-12);
  EXPECT_NEAR(beyond::eval::voc_ap_all_points(rec, prec), .3, 1e-12);
}

TEST(VocEval, ResetAndBadLabels) {
  VocEvaluator ev({"a"});
  ev.process({{0, {0, 0, 9, 9}, false}}, {});
  EXPECT_EQ(ev.evaluate().classes[0].ap, 0);
  ev.reset();
  EXPECT_EQ(ev.num_images(), 0u);
  try {
    ev.process({{3, {0, 0, 9, 9}, false}}, {});
    FAIL();
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("class 3"), std::string::npos) << e.what();
  }
}

}  // namespace
