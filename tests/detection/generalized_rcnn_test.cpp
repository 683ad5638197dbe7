#include "beyond/models/detection/generalized_rcnn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "beyond/core/safetensors.h"
#include "beyond/engine/config.h"
#include "beyond/models/backbones/backbone_with_fpn.h"
#include "beyond/tasks/build_detector.h"
#include "support/helpers.h"

namespace {

using namespace beyond::models;
using beyond::Boxes;
using beyond::Instances;
using beyond::test::error_of;

Instances target(int64_t h, int64_t w, const torch::Tensor& boxes, const torch::Tensor& labels) {
  Instances t(h, w);
  t.set_boxes(Boxes(boxes));
  t.set_labels(labels);
  return t;
}

/// A Faster R-CNN small enough for a unit test: 2 object classes, 64-pixel images.
GeneralizedRCNN tiny_faster_rcnn(bool with_rpn = true) {
  auto backbone = small_fpn_backbone(SmallBackboneOptions().widths({8, 8, 16, 16}).fpn_channels(16));
  RegionProposalNetwork rpn{nullptr};
  if (with_rpn)
    rpn = RegionProposalNetwork(RegionProposalNetworkOptions(16)
                                    .anchor_sizes({{8}, {16}, {32}, {64}, {128}})
                                    .pre_nms_top_n_train(200)
                                    .post_nms_top_n_train(100)
                                    .pre_nms_top_n_test(100)
                                    .post_nms_top_n_test(50)
                                    .batch_size_per_image(64));
  RoIHeads heads(RoIHeadsOptions().num_classes(3).in_channels(16).representation_size(32).batch_size_per_image(64));
  return GeneralizedRCNN(backbone, rpn, heads, DetectionTransformOptions().min_size({64}).max_size(128));
}

TEST(DetectionTransform, ResizesAsTorchvision) {
  const DetectionTransform t;  // 800 / 1333
  // Sizes torchvision 0.14's GeneralizedRCNNTransform produces (the second shows float32 rounding: 799).
  EXPECT_EQ(t.resized_size({480, 640}, 800), (std::array<int64_t, 2>{800, 1066}));
  EXPECT_EQ(t.resized_size({333, 500}, 800), (std::array<int64_t, 2>{799, 1201}));
  EXPECT_EQ(t.resized_size({100, 1000}, 800), (std::array<int64_t, 2>{133, 1333}));  // longer side capped

  const auto batch = t.forward({torch::rand({3, 480, 640}), torch::rand({3, 333, 500})});
  EXPECT_EQ(batch.images.tensor().sizes(), (std::vector<int64_t>{2, 3, 800, 1216}));
  EXPECT_EQ(batch.images.image_size(1), (std::array<int64_t, 2>{799, 1201}));
  EXPECT_EQ(batch.original_sizes[1], (std::array<int64_t, 2>{333, 500}));
}

TEST(DetectionTransform, ConvertsGreyRgbaAndUint8AndScalesTargets) {
  const DetectionTransform t(DetectionTransformOptions().min_size({40}).max_size(1000).image_mean({0, 0, 0}).image_std({1, 1, 1}));
  const auto grey = torch::full({1, 20, 30}, 51, torch::kUInt8);
  auto rgba = torch::full({4, 20, 30}, 0.5);
  rgba[3].fill_(0);  // transparent: alpha is dropped, not multiplied in
  const auto out = t.forward({grey, rgba}, {target(20, 30, torch::tensor({{3.f, 4.f, 13.f, 14.f}}), torch::tensor({1})),
                                            target(20, 30, torch::zeros({0, 4}), torch::zeros({0}, torch::kLong))});
  const auto im = out.images.tensor();
  EXPECT_EQ(im.size(1), 3);
  EXPECT_NEAR(im[0].slice(1, 0, 40).slice(2, 0, 60).mean().item<float>(), 0.2f, 1e-5);
  EXPECT_NEAR(im[1].slice(1, 0, 40).slice(2, 0, 60).mean().item<float>(), 0.5f, 1e-5);
  EXPECT_TRUE(torch::allclose(out.targets[0].boxes().tensor(), torch::tensor({{6.f, 8.f, 26.f, 28.f}})));
  EXPECT_EQ(out.targets[0].image_size(), (std::array<int64_t, 2>{40, 60}));
  EXPECT_EQ(out.targets[1].size(), 0);

  EXPECT_NE(error_of([&] { t.forward({torch::rand({2, 8, 8})}); }).find("has 2 channels"), std::string::npos);
  EXPECT_NE(error_of([&] { t.forward({torch::zeros({3, 8, 8}, torch::kInt)}); }).find("dtype"), std::string::npos);
  const DetectionTransform small_limit(DetectionTransformOptions().max_input_pixels(1000));
  EXPECT_NE(error_of([&] { small_limit.forward({torch::rand({3, 40, 30})}); }).find("more than max_input_pixels 1000"),
            std::string::npos);
}

TEST(GeneralizedRCNN, EvalDetectionsLieOnTheOriginalImages) {
  torch::manual_seed(0);
  auto model = tiny_faster_rcnn();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto out = model->forward({torch::rand({3, 50, 70}), torch::rand({3, 90, 40})});
  ASSERT_EQ(out.detections.size(), 2u);
  const std::vector<std::array<int64_t, 2>> sizes{{50, 70}, {90, 40}};
  for (size_t i = 0; i < 2; ++i) {
    const auto& d = out.detections[i];
    EXPECT_EQ(d.image_size(), sizes[i]);
    EXPECT_LE(d.size(), 100);
    if (d.empty()) continue;
    const auto b = d.boxes().tensor();
    EXPECT_GE(b.min().item<float>(), 0.f);
    EXPECT_LE(b.select(1, 2).max().item<float>(), static_cast<float>(sizes[i][1]));
    EXPECT_LE(b.select(1, 3).max().item<float>(), static_cast<float>(sizes[i][0]));
    EXPECT_GE(d.labels().min().item<int64_t>(), 1);
    EXPECT_LE(d.labels().max().item<int64_t>(), 2);
  }
  EXPECT_TRUE(out.losses.empty());
  EXPECT_FALSE(out.proposals.empty());
}

TEST(GeneralizedRCNN, AFewStepsLowerTheLoss) {
  torch::manual_seed(1);
  auto model = tiny_faster_rcnn();
  model->train();
  // Two images with one bright square each (class 1) and one negative image.
  std::vector<torch::Tensor> images;
  std::vector<Instances> targets;
  for (int k = 0; k < 2; ++k) {
    auto im = torch::full({3, 64, 64}, 0.1);
    im.slice(1, 10 + 8 * k, 40 + 8 * k).slice(2, 12, 42).fill_(0.9);
    images.push_back(im);
    targets.push_back(target(64, 64, torch::tensor({{12.f, 10.f + 8 * k, 42.f, 40.f + 8 * k}}), torch::tensor({1})));
  }
  images.push_back(torch::full({3, 64, 64}, 0.1));
  targets.push_back(target(64, 64, torch::zeros({0, 4}), torch::zeros({0}, torch::kLong)));
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    const auto out = model->forward(images, targets);
    ASSERT_EQ(out.losses.size(), 4u);
    const auto loss = GeneralizedRCNNImpl::total_loss(out);
    ASSERT_TRUE(std::isfinite(loss.item<double>()));
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
    sgd.zero_grad();
    loss.backward();
    sgd.step();
  }
  EXPECT_LT(last, 0.6 * first);
}

TEST(GeneralizedRCNN, FastRCNNTakesExternalProposals) {
  torch::manual_seed(2);
  auto model = tiny_faster_rcnn(false);
  EXPECT_FALSE(model->has_rpn());
  const auto image = torch::rand({3, 64, 64});
  EXPECT_NE(error_of([&] { model->forward({image}, {target(64, 64, torch::tensor({{1.f, 1.f, 9.f, 9.f}}), torch::tensor({1}))}); })
                .find("needs external proposals"),
            std::string::npos);
  const auto proposals = torch::tensor({{0.f, 0.f, 32.f, 32.f}, {10.f, 10.f, 60.f, 50.f}});
  const auto train = model->forward({image}, {target(64, 64, torch::tensor({{2.f, 2.f, 30.f, 30.f}}), torch::tensor({2}))},
                                    {proposals});
  EXPECT_EQ(train.losses.count("loss_classifier"), 1u);
  EXPECT_EQ(train.losses.count("loss_objectness"), 0u);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto eval = model->forward({image}, {}, {proposals});
  // The proposals are scaled with the image (64 -> 64: unchanged here) and handed to the heads.
  EXPECT_TRUE(torch::allclose(eval.proposals.at(0), proposals));
}

TEST(GeneralizedRCNN, RejectsBadTargets) {
  auto model = tiny_faster_rcnn();
  model->train();
  const auto image = torch::rand({3, 64, 64});
  EXPECT_NE(error_of([&] { model->forward({image}); }).find("training mode needs one target per image"),
            std::string::npos);
  const auto flat = target(64, 64, torch::tensor({{1.f, 1.f, 9.f, 9.f}, {5.f, 5.f, 5.f, 20.f}}), torch::tensor({1, 2}));
  EXPECT_NE(error_of([&] { model->forward({image}, {flat}); }).find("target 0 box 1 is degenerate"), std::string::npos);
}

TEST(BuildDetector, TorchvisionSizedR50AndTheSmallConfigs) {
  const auto r50 = build_detector(beyond::Config::builtin("faster_rcnn_r50_fpn"));
  const auto sd = beyond::state_dict(*r50);
  int64_t numel = 0;
  for (const auto& [name, t] : sd) numel += t.numel();
  // torchvision 0.14: fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None).state_dict() has
  // 348 tensors and 41,861,579 values (parameters and BatchNorm buffers).
  EXPECT_EQ(sd.size(), 348u);
  EXPECT_EQ(numel, 41861579);
  EXPECT_EQ(sd.at("roi_heads.box_predictor.bbox_pred.weight").sizes(), (std::vector<int64_t>{364, 1024}));
  EXPECT_EQ(sd.count("rpn.head.conv.0.0.weight"), 1u);

  const auto small = build_detector(beyond::Config::builtin("faster_rcnn_small"), 12);
  EXPECT_TRUE(small->has_rpn());
  EXPECT_EQ(small->num_classes(), 12);
  const auto fast = build_detector(beyond::Config::builtin("fast_rcnn_small"), 12);
  EXPECT_FALSE(fast->has_rpn());
  EXPECT_NE(error_of([] { build_detector(beyond::Config::builtin("faster_rcnn_small")); }).find("num_classes"),
            std::string::npos);
}

}  // namespace
