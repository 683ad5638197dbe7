#include "beyond/models/detection/roi_heads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "beyond/core/safetensors.h"
#include "beyond/models/detection/fast_rcnn_loss.h"
#include "beyond/models/detection/resize_boxes.h"
#include "beyond/ops/box_ops.h"
#include "support/helpers.h"

namespace {

using namespace beyond::models;
using beyond::Boxes;
using beyond::Instances;
using beyond::test::error_of;
using Sizes = std::vector<std::array<int64_t, 2>>;

/// A small RoI head on one stride-4 map: 8 channels, 3 classes (2 objects + background).
RoIHeadsOptions tiny_options() {
  return RoIHeadsOptions()
      .num_classes(3)
      .in_channels(8)
      .representation_size(32)
      .batch_size_per_image(64)
      .pooler(BoxPoolerOptions().type(BoxPoolerType::kRoIAlign).featmap_names({"0"}).spatial_scale(0.25));
}

Instances target(int64_t h, int64_t w, const torch::Tensor& boxes, const torch::Tensor& labels) {
  Instances t(h, w);
  t.set_boxes(Boxes(boxes));
  t.set_labels(labels);
  return t;
}

torch::Tensor random_boxes(int64_t n, int64_t h, int64_t w) {
  const auto xy = torch::rand({n, 2}) * torch::tensor({w * 0.8, h * 0.8});
  const auto wh = 4 + torch::rand({n, 2}) * torch::tensor({w * 0.4, h * 0.4});
  return torch::cat({xy, xy + wh}, 1);
}

TEST(TwoMLPHead, FlattensAndHasTorchvisionNames) {
  TwoMLPHead head(TwoMLPHeadOptions(4 * 3 * 3, 16));
  const auto sd = beyond::state_dict(*head);
  EXPECT_EQ(sd.at("fc6.weight").sizes(), (std::vector<int64_t>{16, 36}));
  EXPECT_EQ(sd.at("fc7.weight").sizes(), (std::vector<int64_t>{16, 16}));
  EXPECT_EQ(sd.size(), 4u);
  const auto y = head->forward(torch::randn({5, 4, 3, 3}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{5, 16}));
  EXPECT_GE(y.min().item<float>(), 0.f);  // ends with a ReLU
  EXPECT_NE(error_of([&] { head->forward(torch::randn({5, 4, 2, 2})); }).find("36 values per RoI"), std::string::npos);
}

TEST(FastRCNNPredictor, ClassSpecificBoxes) {
  FastRCNNPredictor predictor(FastRCNNPredictorOptions(16, 5));
  const auto [logits, deltas] = predictor->forward(torch::randn({7, 16, 1, 1}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{7, 5}));
  EXPECT_EQ(deltas.sizes(), (std::vector<int64_t>{7, 20}));
  const auto sd = beyond::state_dict(*predictor);
  EXPECT_TRUE(sd.count("cls_score.weight") && sd.count("bbox_pred.bias"));
  EXPECT_NE(error_of([] { FastRCNNPredictor(FastRCNNPredictorOptions(16, 1)); }).find("background"), std::string::npos);
}

TEST(RoIHeads, DefaultsAreFasterRcnnResnet50Fpn) {
  RoIHeads heads;
  const auto sd = beyond::state_dict(*heads);
  EXPECT_EQ(sd.at("box_head.fc6.weight").sizes(), (std::vector<int64_t>{1024, 256 * 7 * 7}));
  EXPECT_EQ(sd.at("box_head.fc7.weight").sizes(), (std::vector<int64_t>{1024, 1024}));
  EXPECT_EQ(sd.at("box_predictor.cls_score.weight").sizes(), (std::vector<int64_t>{91, 1024}));
  EXPECT_EQ(sd.at("box_predictor.bbox_pred.weight").sizes(), (std::vector<int64_t>{364, 1024}));
  EXPECT_EQ(sd.size(), 8u);
  const auto& o = heads->options;
  EXPECT_EQ(o.pooler().featmap_names(), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(o.pooler().sampling_ratio(), 2);
  EXPECT_EQ(o.batch_size_per_image(), 512);
  EXPECT_DOUBLE_EQ(o.positive_fraction(), 0.25);
  EXPECT_EQ(o.bbox_reg_weights(), (std::vector<double>{10, 10, 5, 5}));
  EXPECT_DOUBLE_EQ(o.score_thresh(), 0.05);
  EXPECT_DOUBLE_EQ(o.nms_thresh(), 0.5);
  EXPECT_EQ(o.detections_per_img(), 100);
}

TEST(RoIHeads, EvalDetectionsSatisfyTheInvariants) {
  torch::manual_seed(0);
  RoIHeads heads(tiny_options().detections_per_img(20).score_thresh(0.2));
  heads->eval();
  {  // spread the scores so that detections pass the threshold
    torch::NoGradGuard no_grad;
    heads->box_predictor()->named_parameters()["cls_score.weight"].mul_(20);
  }
  const Sizes sizes{{60, 80}, {48, 64}};
  const FeatureMaps features{{"0", torch::randn({2, 8, 15, 20})}};
  const std::vector<torch::Tensor> proposals{random_boxes(50, 60, 80), random_boxes(30, 48, 64)};
  torch::NoGradGuard no_grad;
  const auto out = heads->forward(features, proposals, sizes);
  ASSERT_EQ(out.detections.size(), 2u);
  EXPECT_TRUE(out.losses.empty());
  int64_t total = 0;
  for (size_t i = 0; i < 2; ++i) {
    const auto& d = out.detections[i];
    EXPECT_EQ(d.image_size(), sizes[i]);
    total += d.size();
    EXPECT_LE(d.size(), 20);
    if (d.empty()) continue;
    const auto b = d.boxes().tensor();
    EXPECT_GE(b.min().item<float>(), 0.f);
    EXPECT_LE(b.select(1, 2).max().item<float>(), sizes[i][1]);
    EXPECT_LE(b.select(1, 3).max().item<float>(), sizes[i][0]);
    EXPECT_GT(d.scores().min().item<float>(), 0.2f);
    EXPECT_GE(d.labels().min().item<int64_t>(), 1);  // no background
    EXPECT_LE(d.labels().max().item<int64_t>(), 2);
    EXPECT_TRUE(torch::equal(d.scores(), std::get<0>(d.scores().sort(0, true))));  // best first
    // No two detections of one class overlap by more than the NMS threshold.
    const auto iou = beyond::ops::box_iou(b, b);
    const auto same = d.labels().unsqueeze(0) == d.labels().unsqueeze(1);
    const auto off_diagonal = torch::eye(d.size(), torch::kBool).logical_not();
    EXPECT_FALSE((iou.gt(0.5) & same & off_diagonal).any().item<bool>());
  }
  EXPECT_GT(total, 0);
}

TEST(RoIHeads, PostprocessHandCase) {
  RoIHeads heads(tiny_options());
  // Proposal 0: (10, 10, 30, 50) with zero deltas, class 1 certain -> itself. Proposal 1 spills out of a
  // 40 x 40 image and gets clipped. Proposal 2 overlaps proposal 0 heavily with a lower class-1 score.
  const auto proposals = torch::tensor({{10.f, 10.f, 30.f, 50.f}, {-5.f, 20.f, 25.f, 45.f}, {11.f, 10.f, 30.f, 50.f}});
  const auto logits = torch::tensor({{-10.f, 10.f, -10.f}, {-10.f, -10.f, 6.f}, {-10.f, 8.f, -10.f}});
  const auto dets = heads->postprocess_detections(logits, torch::zeros({3, 12}), {proposals}, {{40, 40}});
  ASSERT_EQ(dets.size(), 1u);
  const auto& d = dets[0];
  ASSERT_EQ(d.size(), 2);  // proposal 2 suppressed by proposal 0 (same class, IoU 0.95)
  EXPECT_TRUE(torch::allclose(d.boxes().tensor(), torch::tensor({{10.f, 10.f, 30.f, 40.f}, {0.f, 20.f, 25.f, 40.f}})));
  EXPECT_EQ(d.labels()[0].item<int64_t>(), 1);
  EXPECT_EQ(d.labels()[1].item<int64_t>(), 2);
  EXPECT_NEAR(d.scores()[0].item<float>(), 1.f / (1.f + 2.f * std::exp(-20.f)), 1e-6);
}

TEST(RoIHeads, TrainingSamplesAddGroundTruthAndRespectTheBatch) {
  torch::manual_seed(1);
  RoIHeads heads(tiny_options().batch_size_per_image(32).positive_fraction(0.25));
  const auto gt = torch::tensor({{10.f, 10.f, 40.f, 30.f}, {50.f, 20.f, 70.f, 55.f}});
  const std::vector<Instances> targets{target(60, 80, gt, torch::tensor({1, 2})),
                                       target(48, 64, torch::zeros({0, 4}), torch::zeros({0}, torch::kLong))};
  const std::vector<torch::Tensor> proposals{random_boxes(100, 60, 80), random_boxes(40, 48, 64)};
  const auto s = heads->select_training_samples(proposals, targets);
  ASSERT_EQ(s.proposals.size(), 2u);
  // Image 0: the two ground-truth boxes are perfect positives, so they are among the candidates.
  EXPECT_LE(s.proposals[0].size(0), 32);
  const auto positives = s.labels[0].gt(0);
  EXPECT_GE(positives.sum().item<int64_t>(), 1);
  EXPECT_LE(positives.sum().item<int64_t>(), 8);  // 25% of 32
  // Positives' targets decode back onto their matched ground truth.
  const auto pos = torch::where(positives)[0];
  const auto decoded = beyond::ops::decode_boxes(s.regression_targets[0].index({pos}), s.proposals[0].index({pos}),
                                                 {10, 10, 5, 5}, std::log(1000.0 / 16));
  EXPECT_TRUE(torch::allclose(decoded, gt.index({s.matched_idxs[0].index({pos})}), 1e-4, 1e-3));
  EXPECT_TRUE(torch::equal(s.labels[0].index({pos}), torch::tensor({1, 2}).index({s.matched_idxs[0].index({pos})})));
  // Image 1 has no objects: all its samples are background.
  EXPECT_EQ(s.proposals[1].size(0), 32);
  EXPECT_EQ(s.labels[1].abs().sum().item<int64_t>(), 0);
}

TEST(RoIHeads, TrainingLossesAndChecks) {
  torch::manual_seed(2);
  RoIHeads heads(tiny_options());
  heads->train();
  const Sizes sizes{{60, 80}};
  const FeatureMaps features{{"0", torch::randn({1, 8, 15, 20})}};
  const std::vector<torch::Tensor> proposals{random_boxes(40, 60, 80)};
  const std::vector<Instances> targets{target(60, 80, torch::tensor({{10.f, 10.f, 40.f, 30.f}}), torch::tensor({2}))};
  const auto out = heads->forward(features, proposals, sizes, targets);
  EXPECT_TRUE(out.detections.empty());
  ASSERT_EQ(out.losses.size(), 2u);
  EXPECT_GT(out.losses.at("loss_classifier").item<float>(), 0.f);
  EXPECT_GT(out.losses.at("loss_box_reg").item<float>(), 0.f);  // the gt box itself is a positive
  EXPECT_NE(error_of([&] { heads->forward(features, proposals, sizes); }).find("training mode needs targets"),
            std::string::npos);
  const std::vector<Instances> bad{target(60, 80, torch::tensor({{10.f, 10.f, 40.f, 30.f}}), torch::tensor({3}))};
  EXPECT_NE(error_of([&] { heads->forward(features, proposals, sizes, bad); }).find("must lie in [1, 2]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { heads->forward({{"p2", features["0"]}}, proposals, sizes, targets); })
                .find("feature map '0' is missing (the features are: p2)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { heads->forward(features, proposals, {{60, 80}, {60, 80}}, targets); }).find("1 proposals"),
            std::string::npos);
}

TEST(FastRCNNLoss, MatchesTheDefinition) {
  // 3 sampled RoIs, 3 classes: RoI 0 is class 2, RoI 1 background, RoI 2 class 1.
  const auto logits = torch::tensor({{0.1f, 0.2f, 1.5f}, {2.f, -1.f, 0.f}, {0.3f, 0.4f, -0.2f}});
  auto deltas = torch::randn({3, 12});
  const auto labels = torch::tensor({2, 0, 1});
  const auto targets = torch::randn({3, 4});
  const auto losses = fast_rcnn_loss(logits, deltas, labels, targets);
  double ce = 0;
  for (int64_t i = 0; i < 3; ++i)
    ce += -torch::log_softmax(logits[i], 0)[labels[i].item<int64_t>()].item<double>();
  EXPECT_NEAR(losses.classifier.item<double>(), ce / 3, 1e-6);
  const double beta = 1.0 / 9;
  auto smooth_l1 = [&](const torch::Tensor& a, const torch::Tensor& b) {
    double sum = 0;
    for (int64_t j = 0; j < 4; ++j) {
      const double d = std::abs(a[j].item<double>() - b[j].item<double>());
      sum += d < beta ? 0.5 * d * d / beta : d - 0.5 * beta;
    }
    return sum;
  };
  const double box = smooth_l1(deltas[0].slice(0, 8, 12), targets[0]) + smooth_l1(deltas[2].slice(0, 4, 8), targets[2]);
  EXPECT_NEAR(losses.box_reg.item<double>(), box / 3, 1e-5);  // normalised by all sampled RoIs
  // Deltas of other classes and of background RoIs do not matter.
  deltas.slice(1, 0, 4).fill_(100);
  deltas[1].fill_(-50);
  EXPECT_NEAR(fast_rcnn_loss(logits, deltas, labels, targets).box_reg.item<double>(), box / 3, 1e-5);
  EXPECT_NE(error_of([&] { fast_rcnn_loss(logits, deltas.slice(1, 0, 8), labels, targets); }).find("[K, 4 * C]"),
            std::string::npos);
}

TEST(ResizeBoxes, BackToTheOriginalImage) {
  const auto b = resize_boxes(torch::tensor({{10.f, 20.f, 30.f, 40.f}}), {100, 200}, {200, 100});
  EXPECT_TRUE(torch::allclose(b, torch::tensor({{5.f, 40.f, 15.f, 80.f}})));
  std::vector<Instances> dets{target(100, 200, torch::tensor({{10.f, 20.f, 30.f, 40.f}}), torch::tensor({1}))};
  resize_detections(dets, {{50, 400}});
  EXPECT_EQ(dets[0].image_size(), (std::array<int64_t, 2>{50, 400}));
  EXPECT_TRUE(torch::allclose(dets[0].boxes().tensor(), torch::tensor({{20.f, 10.f, 60.f, 20.f}})));
  EXPECT_EQ(dets[0].labels()[0].item<int64_t>(), 1);
  EXPECT_NE(error_of([] { resize_boxes(torch::zeros({2, 5}), {1, 1}, {2, 2}); }).find("[N, 4]"), std::string::npos);
}

TEST(RoIHeads, SgdLowersTheLossOnTinyData) {
  torch::manual_seed(3);
  // Fast R-CNN flavour: RoI max pooling, 2 images with a few objects and fixed proposals.
  RoIHeads heads(tiny_options().pooler(
      BoxPoolerOptions().type(BoxPoolerType::kRoIPool).featmap_names({"0"}).spatial_scale(0.25).output_size(4)));
  heads->train();
  const Sizes sizes{{64, 64}, {64, 64}};
  const FeatureMaps features{{"0", torch::randn({2, 8, 16, 16})}};
  const std::vector<Instances> targets{
      target(64, 64, torch::tensor({{8.f, 8.f, 30.f, 26.f}, {36.f, 30.f, 60.f, 60.f}}), torch::tensor({1, 2})),
      target(64, 64, torch::tensor({{20.f, 12.f, 44.f, 52.f}}), torch::tensor({2}))};
  const std::vector<torch::Tensor> proposals{random_boxes(40, 64, 64), random_boxes(40, 64, 64)};
  torch::optim::SGD sgd(heads->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  auto total = [&] {
    torch::manual_seed(10);  // the same samples every time, so the losses are comparable
    const auto l = heads->forward(features, proposals, sizes, targets).losses;
    return l.at("loss_classifier") + l.at("loss_box_reg");
  };
  const float before = total().item<float>();
  for (int step = 0; step < 30; ++step) {
    sgd.zero_grad();
    total().backward();
    sgd.step();
  }
  const float after = total().item<float>();
  EXPECT_LT(after, 0.5f * before) << "before " << before << " after " << after;
}

TEST(RoIHeads, MultiScalePoolerUsesEveryLevel) {
  torch::manual_seed(4);
  RoIHeads heads(RoIHeadsOptions().num_classes(3).in_channels(4).representation_size(16));
  heads->eval();
  FeatureMaps features;
  for (int k = 0; k < 4; ++k) features.insert(std::to_string(k), torch::randn({1, 4, 128 >> k, 128 >> k}));
  const auto boxes = torch::tensor({{0.f, 0.f, 20.f, 20.f}, {0.f, 0.f, 500.f, 500.f}});
  torch::NoGradGuard no_grad;
  const auto [logits, deltas] = heads->predict(features, {boxes}, {{512, 512}});
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(deltas.sizes(), (std::vector<int64_t>{2, 12}));
  // The large box is pooled from level "3": changing it changes that box's output only.
  features["3"] = features["3"] + 1;
  const auto [logits2, deltas2] = heads->predict(features, {boxes}, {{512, 512}});
  EXPECT_TRUE(torch::equal(logits2[0], logits[0]));
  EXPECT_FALSE(torch::equal(logits2[1], logits[1]));
}

}  // namespace
