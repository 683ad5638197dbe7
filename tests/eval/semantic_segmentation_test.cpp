// Semantic segmentation scores from a hand-computed confusion matrix.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"
#include "beyond/eval/semantic_segmentation_tensor.h"

namespace {

using beyond::eval::SemanticSegmentationEvaluator;

// gt   0 0 1 1 2 255
// pred 0 1 1 1 0 2     -> confusion (gt, pred): (0,0)=1 (0,1)=1 (1,1)=2 (2,0)=1; the 255 pixel is not counted
const std::vector<uint8_t> kGt{0, 0, 1, 1, 2, 255}, kPred{0, 1, 1, 1, 0, 2};

TEST(SemanticSegmentation, HandComputedScores) {
  SemanticSegmentationEvaluator ev(3);
  ev.process(kPred.data(), kGt.data(), kGt.size());
  EXPECT_EQ(ev.confusion(), (std::vector<int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 0}));
  const auto r = ev.evaluate();
  EXPECT_EQ(r.pixels, 5);
  EXPECT_NEAR(r.class_iou[0], 1.0 / 3, 1e-12);  // 1 / (2 + 2 - 1)
  EXPECT_NEAR(r.class_iou[1], 2.0 / 3, 1e-12);  // 2 / (2 + 3 - 2)
  EXPECT_NEAR(r.class_iou[2], 0, 1e-12);
  EXPECT_NEAR(r.miou, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.mean_class_accuracy, (.5 + 1 + 0) / 3, 1e-12);
  EXPECT_NEAR(r.pixel_accuracy, 3.0 / 5, 1e-12);
  EXPECT_NEAR(r.fwiou, .4 * (1.0 / 3) + .4 * (2.0 / 3), 1e-12);
}

TEST(SemanticSegmentation, AbsentClassesAreLeftOutAndImagesAccumulate) {
  SemanticSegmentationEvaluator ev(4);
  ev.process(kPred.data(), kGt.data(), 3);  // two "images"
  ev.process(kPred.data() + 3, kGt.data() + 3, 3);
  const auto r = ev.evaluate();
  EXPECT_TRUE(std::isnan(r.class_iou[3]));
  EXPECT_TRUE(std::isnan(r.class_accuracy[3]));
  EXPECT_NEAR(r.miou, 1.0 / 3, 1e-12);  // the mean over classes 0..2 only
  EXPECT_NE(r.to_json().find("\"3\": {\"IoU\": null"), std::string::npos) << r.to_json();
  ev.reset();
  EXPECT_EQ(ev.evaluate().pixels, 0);
}

TEST(SemanticSegmentation, TensorsOfAnyIntegerType) {
  SemanticSegmentationEvaluator a(3), b(3);
  a.process(kPred.data(), kGt.data(), kGt.size());
  auto gt = torch::tensor(std::vector<int64_t>(kGt.begin(), kGt.end())).view({2, 3});
  auto pred = torch::tensor(std::vector<int64_t>(kPred.begin(), kPred.end())).view({2, 3});
  beyond::eval::process(b, pred.to(torch::kUInt8), gt.to(torch::kUInt8));
  EXPECT_EQ(a.confusion(), b.confusion());
  b.reset();
  beyond::eval::process(b, pred.to(torch::kInt32), gt);
  EXPECT_EQ(a.confusion(), b.confusion());
  EXPECT_THROW(beyond::eval::process(b, pred.view({3, 2}), gt), beyond::Error);
}

TEST(SemanticSegmentation, LabelsOutsideTheClassesAreErrors) {
  SemanticSegmentationEvaluator ev(3);
  const std::vector<uint8_t> gt{0, 7}, pred{0, 0};
  try {
    ev.process(pred.data(), gt.data(), 2, "a.png");
    FAIL();
  } catch (const beyond::Error& e) {
    EXPECT_NE(std::string(e.what()).find("a.png"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ground-truth label 7"), std::string::npos) << e.what();
  }
  const std::vector<uint8_t> gt2{0, 1}, pred2{0, 5};
  EXPECT_THROW(ev.process(pred2.data(), gt2.data(), 2), beyond::Error);
  EXPECT_THROW(SemanticSegmentationEvaluator(3, 2), beyond::Error);  // ignore label is a class
}

}  // namespace
