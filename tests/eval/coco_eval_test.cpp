// COCO evaluation on tiny hand-made cases whose numbers follow from the definition by hand; the
// randomised comparison with an independent reference is tests/parity/coco_eval_parity_test.py.
#include <gtest/gtest.h>

#include "beyond/core/error.h"
#include "beyond/eval/coco_eval.h"

namespace {

using beyond::coco::Annotation;
using beyond::coco::Dataset;
using beyond::eval::evaluate_coco;
using beyond::eval::IouType;

Annotation box(int64_t image, int64_t cat, double x, double y, double w, double h, double score = 1, bool crowd = false) {
  Annotation a;
  a.image_id = image;
  a.category_id = cat;
  a.bbox = {x, y, w, h};
  a.area = w * h;
  a.score = score;
  a.iscrowd = crowd;
  return a;
}

Dataset dataset(std::vector<int64_t> image_ids, std::vector<int64_t> cats, std::vector<Annotation> anns) {
  Dataset d;
  for (auto id : image_ids) d.images.push_back({id, std::to_string(id) + ".png", 200, 200});
  for (auto id : cats) d.categories.push_back({id, "c" + std::to_string(id), "", {}, {}});
  int64_t next = 1;
  for (auto& a : anns) a.id = next++;
  d.annotations = anns;
  d.reindex();
  return d;
}

/// Results as loadRes numbers them: ids from 1, area = box area.
std::vector<Annotation> results(std::vector<Annotation> dets) {
  int64_t next = 1;
  for (auto& d : dets) d.id = next++;
  return dets;
}

constexpr double kTol = 1e-12;

TEST(CocoEval, ThresholdsAreNumpysLinspace) {
  auto p = beyond::eval::CocoParams::defaults(IouType::Bbox);
  ASSERT_EQ(p.iou_thresholds.size(), 10u);
  EXPECT_EQ(p.iou_thresholds[0], .5);
  EXPECT_EQ(p.iou_thresholds[5], .75);  // summarize() selects AP75 by exact equality
  EXPECT_EQ(p.iou_thresholds[9], .95);
  ASSERT_EQ(p.recall_thresholds.size(), 101u);
  EXPECT_EQ(p.recall_thresholds[100], 1.0);
  EXPECT_EQ(p.recall_thresholds[3], 3 * 0.01);  // i * step, not 0.03
}

TEST(CocoEval, PerfectDetectionAndAbsentAreaRanges) {
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10)});
  auto r = evaluate_coco(gt, results({box(1, 1, 0, 0, 10, 10, .9)}), IouType::Bbox);
  const std::vector<double> want{1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1};  // a small object only
  ASSERT_EQ(r.stats.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(r.stats[i], want[i], kTol) << r.stat_names()[i];
  EXPECT_NE(r.summary().find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000"),
            std::string::npos)
      << r.summary();
  EXPECT_NE(r.summary().find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000"),
            std::string::npos);
}

TEST(CocoEval, CrowdAbsorbsAnyNumberOfDetections) {
  // Two high-scoring detections inside a crowd region: both matched to the crowd (IoU = inter / det
  // area = 1) and ignored. Were they false positives, AP would be 1/3; were the crowd matched once, 1/2.
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10), box(1, 1, 20, 0, 20, 20, 1, true)});
  auto r = evaluate_coco(gt,
                         results({box(1, 1, 20, 0, 10, 10, .95), box(1, 1, 30, 10, 10, 10, .93),
                                  box(1, 1, 0, 0, 10, 10, .9)}),
                         IouType::Bbox);
  EXPECT_NEAR(r.stats[0], 1, kTol);
  EXPECT_NEAR(r.stats[8], 1, kTol);
}

TEST(CocoEval, RealObjectsAreMatchedBeforeCrowds) {
  // IoU .78 with the object, 1 with the crowd: a true positive up to threshold .75, then (object
  // out of reach) matched to the crowd and ignored: AP = AR = 6/10.
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10), box(1, 1, 0, 0, 40, 40, 1, true)});
  auto r = evaluate_coco(gt, results({box(1, 1, 0, 0, 10, 7.8, .9)}), IouType::Bbox);
  EXPECT_NEAR(r.stats[0], 0.6, kTol);
  EXPECT_NEAR(r.stats[8], 0.6, kTol);
  EXPECT_NEAR(r.stats[1], 1, kTol);  // AP50
  EXPECT_NEAR(r.stats[2], 1, kTol);  // AP75
}

TEST(CocoEval, TiesKeepFileOrderWithinAnImage) {
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10)});
  const auto tp = box(1, 1, 0, 0, 10, 10, .5), fp = box(1, 1, 100, 100, 10, 10, .5);
  // false positive first: precision .5 at recall 1 -> AP .5; true positive first: AP 1
  EXPECT_NEAR(evaluate_coco(gt, results({fp, tp}), IouType::Bbox).stats[0], .5, kTol);
  EXPECT_NEAR(evaluate_coco(gt, results({tp, fp}), IouType::Bbox).stats[0], 1, kTol);
}

TEST(CocoEval, TiesAcrossImagesKeepImageIdOrder) {
  // Same score on image 2 (true positive) and image 1 (false positive): image 1's comes first,
  // whatever the order in the results file.
  auto gt = dataset({2, 1}, {1}, {box(2, 1, 0, 0, 10, 10)});
  const auto tp = box(2, 1, 0, 0, 10, 10, .5), fp = box(1, 1, 0, 0, 10, 10, .5);
  EXPECT_NEAR(evaluate_coco(gt, results({tp, fp}), IouType::Bbox).stats[0], .5, kTol);
  EXPECT_NEAR(evaluate_coco(gt, results({fp, tp}), IouType::Bbox).stats[0], .5, kTol);
}

TEST(CocoEval, DuplicateDetectionIsAFalsePositive) {
  // A (.9), A again (.8), B (.7): TP FP TP -> recall .5 .5 1, precision 1 .5 2/3; the envelope gives
  // 1 for the 51 recall thresholds up to .5 and 2/3 for the 50 above.
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10), box(1, 1, 50, 50, 10, 10)});
  auto r = evaluate_coco(gt,
                         results({box(1, 1, 0, 0, 10, 10, .9), box(1, 1, 0, 0, 10, 10, .8),
                                  box(1, 1, 50, 50, 10, 10, .7)}),
                         IouType::Bbox);
  EXPECT_NEAR(r.stats[0], (51 + 50 * 2.0 / 3) / 101, kTol);
  EXPECT_NEAR(r.stats[8], 1, kTol);
}

TEST(CocoEval, AreaRangesUseGtAreaAndUnmatchedDetectionArea) {
  // A small object found, a large one missed, and a medium-sized false positive scoring highest.
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10), box(1, 1, 50, 50, 100, 100)});
  auto r = evaluate_coco(gt, results({box(1, 1, 0, 0, 10, 10, .9), box(1, 1, 160, 0, 40, 40, .95)}), IouType::Bbox);
  // all: FP, TP -> precision .5 at recall .5: AP = 51 * .5 / 101
  EXPECT_NEAR(r.stats[0], 51 * .5 / 101, kTol);
  EXPECT_NEAR(r.stats[3], 1, kTol);   // small: the medium false positive is outside the range, ignored
  EXPECT_NEAR(r.stats[4], -1, kTol);  // medium: no object in range
  EXPECT_NEAR(r.stats[5], 0, kTol);   // large: missed
  EXPECT_NEAR(r.stats[8], .5, kTol);
  EXPECT_NEAR(r.stats[11], 0, kTol);
}

TEST(CocoEval, MaxDetsCutsPerImage) {
  // 10 false positives above the one true positive: found only with 100 detections allowed
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10)});
  std::vector<Annotation> dets;
  for (int i = 0; i < 10; ++i) dets.push_back(box(1, 1, 100, 10.0 * i, 5, 5, .9 - .01 * i));
  dets.push_back(box(1, 1, 0, 0, 10, 10, .1));
  auto r = evaluate_coco(gt, results(dets), IouType::Bbox);
  EXPECT_NEAR(r.stats[6], 0, kTol);  // AR1
  EXPECT_NEAR(r.stats[7], 0, kTol);  // AR10
  EXPECT_NEAR(r.stats[8], 1, kTol);  // AR100
  EXPECT_NEAR(r.stats[0], 1.0 / 11, kTol);
  // beyond 100 detections on the image the true positive is cut off
  for (int i = 10; i < 100; ++i) dets.insert(dets.begin(), box(1, 1, 150, 1.0 * i, 5, 5, .95));
  r = evaluate_coco(gt, results(dets), IouType::Bbox);
  EXPECT_NEAR(r.stats[8], 0, kTol);
  EXPECT_NEAR(r.stats[0], 0, kTol);
}

TEST(CocoEval, EmptyImagesAndCategories) {
  // category 1: found on image 1, plus a false positive on image 2 (which has no objects);
  // category 2: an object, no detections (AP 0); category 3: detections, no objects (AP -1, not averaged)
  auto gt = dataset({1, 2}, {1, 2, 3}, {box(1, 1, 0, 0, 10, 10), box(1, 2, 50, 50, 10, 10)});
  auto r = evaluate_coco(gt,
                         results({box(1, 1, 0, 0, 10, 10, .8), box(2, 1, 0, 0, 10, 10, .9),
                                  box(1, 3, 50, 50, 10, 10, .9), box(1, 7, 0, 0, 10, 10, .99)}),
                         IouType::Bbox);
  ASSERT_EQ(r.category_ap.size(), 3u);
  EXPECT_NEAR(r.category_ap[0], .5, kTol);  // FP then TP: precision .5 at recall 1
  EXPECT_NEAR(r.category_ap[1], 0, kTol);
  EXPECT_NEAR(r.category_ap[2], -1, kTol);
  EXPECT_NEAR(r.stats[0], .25, kTol);
  EXPECT_NEAR(r.stats[8], .5, kTol);
  EXPECT_NE(r.to_json().find("\"c3\": -1"), std::string::npos) << r.to_json();
}

TEST(CocoEval, ZeroIdGroundTruthCountsAsUnmatchedAsInCocoApi) {
  auto gt = dataset({1}, {1}, {box(1, 1, 0, 0, 10, 10)});
  gt.annotations[0].id = 0;
  auto r = evaluate_coco(gt, results({box(1, 1, 0, 0, 10, 10, .9)}), IouType::Bbox);
  EXPECT_NEAR(r.stats[0], 0, kTol);  // pycocotools' dtm == 0 test: the match is not seen
}

TEST(CocoEval, KeypointsOks) {
  Dataset gt = dataset({1}, {1}, {box(1, 1, 0, 0, 60, 60)});
  auto& g = gt.annotations[0];
  g.area = 3000;  // medium
  for (int k = 0; k < 17; ++k) g.keypoints.insert(g.keypoints.end(), {3.0 * k, 2.0 * k, k == 0 ? 0.0 : 2.0});
  g.num_keypoints = 16;
  Annotation d;
  d.image_id = 1;
  d.category_id = 1;
  d.score = .9;
  // every labelled keypoint off by (3, 0): OKS = mean over the 16 of exp(-9 / (2 (2 sigma)^2 (area + eps)))
  const auto sig = beyond::eval::CocoParams::defaults(IouType::Keypoints).keypoint_sigmas;
  double oks = 0;
  for (int k = 1; k < 17; ++k) oks += std::exp(-9.0 / ((sig[k] * 2) * (sig[k] * 2)) / (3000 + 2.220446049250313e-16) / 2);
  oks /= 16;
  // place the unlabelled keypoint far away: it must not count
  for (int k = 0; k < 17; ++k) d.keypoints.insert(d.keypoints.end(), {k == 0 ? 500.0 : 3.0 * k + 3, 2.0 * k, 1.0});
  auto r = evaluate_coco(gt, results({d}), IouType::Keypoints);
  ASSERT_EQ(r.stats.size(), 10u);
  // matched at every threshold up to the OKS
  int reached = 0;
  for (double t : r.params.iou_thresholds) reached += oks >= t;
  ASSERT_GT(reached, 0);
  ASSERT_LT(reached, 10);
  EXPECT_NEAR(r.stats[0], reached / 10.0, kTol);
  EXPECT_NEAR(r.stats[3], reached / 10.0, kTol);  // medium
  EXPECT_NEAR(r.stats[4], -1, kTol);              // large
  EXPECT_NE(r.summary().find("maxDets= 20"), std::string::npos);
}

TEST(CocoEval, EvaluatorScoresOnlyProcessedImages) {
  auto gt = std::make_shared<Dataset>(
      dataset({1, 2}, {1}, {box(1, 1, 0, 0, 10, 10), box(2, 1, 0, 0, 10, 10)}));
  beyond::eval::CocoEvaluator ev(gt, IouType::Bbox);
  ev.process(1, {box(0, 1, 0, 0, 10, 10, .9)});
  EXPECT_NEAR(ev.evaluate().stats[0], 1, kTol);  // image 2 was not seen: its object is no miss
  ev.process(2, {});
  auto r = ev.evaluate();
  EXPECT_NEAR(r.stats[8], .5, kTol);
  EXPECT_EQ(r.num_images, 2);
  ev.reset();
  ev.process(2, {box(0, 1, 0, 0, 10, 10, .9), box(0, 1, 0, 0, 10, 10, .8)});
  EXPECT_NEAR(ev.evaluate().stats[0], 1, kTol);
  EXPECT_THROW(ev.process(99, {}), beyond::Error);
}

}  // namespace
