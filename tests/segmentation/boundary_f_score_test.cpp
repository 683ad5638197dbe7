// The boundary F-measure on hand-made label maps whose counts are worked out in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "beyond/eval/boundary_f_score.h"
#include "support/helpers.h"

namespace beyond::eval {
namespace {

/// A rows x cols map with `left` in columns [0, split) and `right` after.
std::vector<int64_t> split_map(int64_t rows, int64_t cols, int64_t split, int64_t left = 1, int64_t right = 0) {
  std::vector<int64_t> m(static_cast<size_t>(rows * cols));
  for (int64_t y = 0; y < rows; ++y)
    for (int64_t x = 0; x < cols; ++x) m[y * cols + x] = x < split ? left : right;
  return m;
}

TEST(BoundaryFScore, APerfectPredictionScoresOne) {
  const auto gt = split_map(4, 10, 5);
  BoundaryFScoreEvaluator ev(2);
  ev.process(gt.data(), gt.data(), 4, 10);
  const auto r = ev.evaluate();
  EXPECT_DOUBLE_EQ(r.mean_f, 1.0);
  EXPECT_DOUBLE_EQ(r.image_mean_f, 1.0);
  EXPECT_EQ(r.class_images, (std::vector<int64_t>{1, 1}));
}

// Ground truth: class 1 left of column 5 (its boundary: column 4, 4 pixels). Prediction: class 1 left
// of column 8 (boundary column 7): 3 pixels away.
TEST(BoundaryFScore, ABoundaryCountsAsFoundOnlyWithinTheTolerance) {
  const auto gt = split_map(4, 10, 5), pred = split_map(4, 10, 8);
  auto f1 = [&](BoundaryFScoreOptions o) {
    BoundaryFScoreEvaluator ev(2, 255, o);
    ev.process(pred.data(), gt.data(), 4, 10);
    return ev.evaluate().class_f[1];
  };
  EXPECT_DOUBLE_EQ(f1(BoundaryFScoreOptions().tolerance_px(2)), 0.0);
  EXPECT_DOUBLE_EQ(f1(BoundaryFScoreOptions().tolerance_px(3)), 1.0);
  // 0.3 x the diagonal sqrt(4^2 + 10^2) = 3.23 pixels.
  EXPECT_DOUBLE_EQ(f1(BoundaryFScoreOptions().tolerance_fraction(0.3)), 1.0);
  EXPECT_DOUBLE_EQ(f1(BoundaryFScoreOptions().tolerance_fraction(0.2)), 0.0);
}

// Prediction: rows 0-1 split at column 5 (right), rows 2-3 at column 9. Its class-1 boundary: (0,4),
// (1,4), (2,5), (2,6), (2,7), (2,8), (3,8) = 7 pixels, of which (0,4), (1,4), (2,5) lie within 1 pixel
// of the true boundary (column 4): P = 3/7. True boundary (0..3, 4): (3,4) has no predicted class-1
// boundary within 1 pixel: R = 3/4. F = 2 (3/7)(3/4) / (3/7 + 3/4) = 18/33.
TEST(BoundaryFScore, PrecisionAndRecallOfAPartlyWrongBoundary) {
  const auto gt = split_map(4, 10, 5);
  auto pred = split_map(4, 10, 5);
  for (int64_t y = 2; y < 4; ++y)
    for (int64_t x = 5; x < 9; ++x) pred[y * 10 + x] = 1;
  const auto counts = boundary_counts(pred.data(), gt.data(), 4, 10, 2, 255, 1.0);
  EXPECT_EQ(counts[1].predicted, 7);
  EXPECT_EQ(counts[1].predicted_matched, 3);
  EXPECT_EQ(counts[1].truth, 4);
  EXPECT_EQ(counts[1].truth_matched, 3);
  EXPECT_NEAR(counts[1].f(), 18.0 / 33.0, 1e-12);

  // Averages: this image and a perfect one. Class 1: (18/33 + 1) / 2. Class 0's boundary here: true
  // (0..3, 5); predicted (0,5), (1,5), (1,6), (1,7), (1,8), (2,9), (3,9): matched (0,5), (1,5), (1,6):
  // P = 3/7; true (3,5) unmatched (nearest predicted class-0 boundary is (1,5), 2 away): R = 3/4.
  BoundaryFScoreEvaluator ev(2, 255, BoundaryFScoreOptions().tolerance_px(1));
  ev.process(pred.data(), gt.data(), 4, 10);
  ev.process(gt.data(), gt.data(), 4, 10);
  const auto r = ev.evaluate();
  EXPECT_NEAR(r.class_f[1], (18.0 / 33.0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.class_f[0], (18.0 / 33.0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.class_precision[1], (3.0 / 7.0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.class_recall[1], (3.0 / 4.0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.mean_f, (18.0 / 33.0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.image_mean_f, (18.0 / 33.0 + 1) / 2, 1e-12);
  EXPECT_EQ(r.images, 2);
}

// Ground truth: class 1 in columns 0..3, ignore (255) in 4..5, class 0 from 6. Predicted edges fall in
// the ignore band: left out of precision (P = 1), yet they are what recovers the true edges (recall).
TEST(BoundaryFScore, PredictedEdgesInsideAnIgnoreBandAreNotCountedButStillMatch) {
  auto gt = split_map(4, 10, 4);
  for (int64_t y = 0; y < 4; ++y) gt[y * 10 + 4] = gt[y * 10 + 5] = 255;
  const auto pred = split_map(4, 10, 5);
  auto counts = boundary_counts(pred.data(), gt.data(), 4, 10, 2, 255, 2.0);
  EXPECT_EQ(counts[1].predicted, 0);
  EXPECT_EQ(counts[1].truth, 4);
  EXPECT_EQ(counts[1].truth_matched, 4);
  EXPECT_DOUBLE_EQ(counts[1].f(), 1.0);
  EXPECT_DOUBLE_EQ(counts[0].f(), 1.0);
  counts = boundary_counts(pred.data(), gt.data(), 4, 10, 2, 255, 0.0);
  EXPECT_DOUBLE_EQ(counts[1].recall(), 0.0);
  EXPECT_DOUBLE_EQ(counts[1].f(), 0.0);
}

TEST(BoundaryFScore, MissedAndHallucinatedClassesScoreZeroAndAbsentOnesAreNaN) {
  auto gt = split_map(4, 10, 5);
  gt[0] = 2;  // a one-pixel object of class 2 in the corner
  auto pred = split_map(4, 10, 5);
  pred[39] = 3;  // class 3 drawn where there is none
  BoundaryFScoreEvaluator ev(5);
  ev.process(pred.data(), gt.data(), 4, 10);
  const auto r = ev.evaluate();
  EXPECT_DOUBLE_EQ(r.class_f[2], 0.0);
  EXPECT_DOUBLE_EQ(r.class_f[3], 0.0);
  EXPECT_TRUE(std::isnan(r.class_f[4]));
  EXPECT_EQ(r.class_images[4], 0);
  EXPECT_LT(r.mean_f, 1.0);
  EXPECT_NE(r.summary({"bg", "a", "b", "c", "d"}).find("boundary F"), std::string::npos);
}

TEST(BoundaryFScore, LabelsOutsideTheClassesAreNamedWithTheirPlace) {
  const auto gt = split_map(2, 3, 1);
  auto pred = split_map(2, 3, 1);
  pred[4] = 9;
  BoundaryFScoreEvaluator ev(2);
  EXPECT_NE(test::error_of([&] { ev.process(pred.data(), gt.data(), 2, 3, "img_7.png"); })
                .find("(img_7.png): predicted label 9 at row 1, column 1 is outside 0..1"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { BoundaryFScoreEvaluator(3, 2); }).find("ignore label 2 is one of the classes"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::eval
