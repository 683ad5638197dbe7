#include "beyond/models/detection/rpn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <set>
#include <string>

#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/ops/box_ops.h"

namespace {

using beyond::ImageList;
using beyond::models::RegionProposalNetwork;
using beyond::models::RegionProposalNetworkOptions;
using beyond::models::RPNHead;

/// A padded batch of two images of different sizes (only the sizes matter to the RPN).
ImageList two_images() { return ImageList(torch::zeros({2, 3, 64, 96}), {{64, 96}, {50, 70}}); }

/// Features of a 2-level pyramid (strides 8 and 16) for two_images().
std::vector<torch::Tensor> two_levels(int64_t channels) {
  return {torch::randn({2, channels, 8, 12}), torch::randn({2, channels, 4, 6})};
}

RegionProposalNetworkOptions small_options(int64_t channels) {
  return RegionProposalNetworkOptions(channels).anchor_sizes({{16}, {32}}).aspect_ratios({{0.5, 1.0, 2.0}});
}

TEST(RPNHead, TorchvisionNamesAndInit) {
  torch::manual_seed(0);
  RPNHead head(64, 3);
  const auto sd = beyond::state_dict(*head);
  std::set<std::string> names;
  for (const auto& [k, v] : sd) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"conv.0.0.weight", "conv.0.0.bias", "cls_logits.weight", "cls_logits.bias",
                                          "bbox_pred.weight", "bbox_pred.bias"}));
  EXPECT_EQ(sd.at("conv.0.0.weight").sizes(), (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(sd.at("cls_logits.weight").sizes(), (std::vector<int64_t>{3, 64, 1, 1}));
  EXPECT_EQ(sd.at("bbox_pred.weight").sizes(), (std::vector<int64_t>{12, 64, 1, 1}));
  EXPECT_NEAR(sd.at("conv.0.0.weight").std().item<double>(), 0.01, 0.001);
  EXPECT_EQ(sd.at("conv.0.0.bias").abs().max().item<double>(), 0.0);
  auto [logits, deltas] = head->forward({torch::randn({2, 64, 5, 7}), torch::randn({2, 64, 3, 4})});
  EXPECT_EQ(logits[1].sizes(), (std::vector<int64_t>{2, 3, 3, 4}));
  EXPECT_EQ(deltas[0].sizes(), (std::vector<int64_t>{2, 12, 5, 7}));
  EXPECT_THROW(head->forward({torch::randn({2, 32, 5, 7})}), beyond::Error);
}

TEST(RegionProposalNetwork, ObjectnessIsFlattenedInAnchorOrder) {
  // No 3x3 conv: logit of anchor a at (y, x) = sum_c w[a, c] f[c, y, x]. One-hot feature at (2, 5) of level 0
  // with weight only for anchor 2: that single anchor scores highest, and zero deltas return it as is.
  auto rpn = RegionProposalNetwork(small_options(4).conv_depth(0).post_nms_top_n_test(5));
  rpn->eval();
  torch::NoGradGuard no_grad;
  for (auto& p : rpn->parameters()) p.zero_();
  rpn->head->named_parameters()["cls_logits.weight"][2][1] = 10.0;
  auto features = std::vector<torch::Tensor>{torch::zeros({2, 4, 8, 12}), torch::zeros({2, 4, 4, 6})};
  features[0][1][1][2][5] = 1.0;  // image 1, channel 1, y 2, x 5
  const auto images = two_images();
  const auto out = rpn->forward(images, features);
  const auto [anchors, per_level] = rpn->anchors(images, features);
  EXPECT_EQ(per_level, (std::vector<int64_t>{8 * 12 * 3, 4 * 6 * 3}));
  const auto expected = beyond::ops::clip_boxes_to_image(anchors[(2 * 12 + 5) * 3 + 2], {50, 70});
  EXPECT_TRUE(torch::allclose(out.boxes[1][0], expected)) << out.boxes[1][0] << expected;
  EXPECT_NEAR(out.scores[1][0].item<double>(), 1.0 / (1.0 + std::exp(-10.0)), 1e-6);
  EXPECT_NEAR(out.scores[0][0].item<double>(), 0.5, 1e-6) << "image 0 has no signal";
  EXPECT_LE(out.boxes[0].size(0), 5);
}

TEST(RegionProposalNetwork, ProposalsAreClippedSortedAndCapped) {
  torch::manual_seed(1);
  auto rpn = RegionProposalNetwork(small_options(8).pre_nms_top_n_test(50).post_nms_top_n_test(20));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : rpn->parameters()) p.normal_(0, 0.3);  // large deltas: boxes run off the image
  }
  rpn->eval();
  const auto images = two_images();
  const auto out = rpn->forward(images, two_levels(8));
  ASSERT_EQ(out.boxes.size(), 2u);
  EXPECT_TRUE(out.losses.empty());
  for (int64_t i = 0; i < 2; ++i) {
    const auto& b = out.boxes[i];
    const auto size = images.image_size(i);
    EXPECT_GT(b.size(0), 0);
    EXPECT_LE(b.size(0), 20);
    EXPECT_GE(b.min().item<double>(), 0.0);
    EXPECT_LE(b.select(1, 2).max().item<double>(), size[1]);
    EXPECT_LE(b.select(1, 3).max().item<double>(), size[0]);
    EXPECT_TRUE((b.select(1, 2) - b.select(1, 0) >= 1e-3).all().item<bool>());
    const auto s = out.scores[i];
    EXPECT_TRUE((s.slice(0, 1) <= s.slice(0, 0, -1)).all().item<bool>()) << "sorted by decreasing score";
  }
  EXPECT_THROW(rpn->forward(images, {two_levels(8)[0]}), beyond::Error) << "one level for two anchor levels";
}

TEST(RegionProposalNetwork, AssignTargetsAsTorchvision) {
  auto rpn = RegionProposalNetwork(small_options(4));
  const auto anchors = torch::tensor({{0., 0., 10., 10.}, {0., 0., 10., 12.}, {20., 20., 30., 30.}, {50., 50., 60., 60.}});
  // gt 0 = anchor 0 (IoU 1, anchor 1 has 10/12 = 0.83); gt 1 best IoU 25/175 with anchor 2: a low-quality match.
  const auto gt = torch::tensor({{0., 0., 10., 10.}, {25., 25., 35., 35.}});
  const auto [labels, matched] = rpn->assign_targets(anchors, {gt, torch::zeros({0, 4})});
  EXPECT_TRUE(torch::equal(labels[0], torch::tensor({1., 1., 1., 0.})));
  EXPECT_TRUE(torch::equal(matched[0][2], gt[1]));
  EXPECT_TRUE(torch::equal(labels[1], torch::zeros({4})));
}

TEST(RegionProposalNetwork, ImagesWithoutObjectsTrainAsBackground) {
  torch::manual_seed(4);
  auto rpn = RegionProposalNetwork(small_options(8).batch_size_per_image(32));
  rpn->train();
  const auto out = rpn->forward(two_images(), two_levels(8), std::vector<torch::Tensor>{torch::zeros({0, 4}), torch::zeros({0, 4})});
  EXPECT_EQ(out.losses.at("loss_rpn_box_reg").item<double>(), 0.0) << "no positives";
  EXPECT_GT(out.losses.at("loss_objectness").item<double>(), 0.0);
  out.losses.at("loss_objectness").backward();
  EXPECT_GT(rpn->head->named_parameters()["cls_logits.bias"].grad().abs().sum().item<double>(), 0.0);
  EXPECT_THROW(rpn->forward(two_images(), two_levels(8), std::vector<torch::Tensor>{torch::zeros({0, 4})}),
               beyond::Error)
      << "one box set for two images";
}

/// Total RPN loss on fixed features and boxes.
double rpn_loss(RegionProposalNetwork& rpn, const ImageList& images, const std::vector<torch::Tensor>& features,
                const std::vector<torch::Tensor>& gt, torch::optim::SGD* opt) {
  torch::manual_seed(5);  // the same sampled anchors every step
  const auto out = rpn->forward(images, features, gt);
  const auto loss = out.losses.at("loss_objectness") + out.losses.at("loss_rpn_box_reg");
  if (opt) {
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
  return loss.item<double>();
}

TEST(RegionProposalNetwork, SgdLowersTheLoss) {
  torch::manual_seed(2);
  auto rpn = RegionProposalNetwork(small_options(8).batch_size_per_image(64));
  rpn->train();
  const auto images = two_images();
  const auto features = two_levels(8);
  const std::vector<torch::Tensor> gt = {torch::tensor({{8., 10., 40., 30.}, {50., 5., 90., 60.}}),
                                         torch::tensor({{20., 20., 44., 44.}})};
  const auto out = rpn->forward(images, features, gt);
  ASSERT_EQ(out.losses.size(), 2u);
  EXPECT_GT(out.losses.at("loss_rpn_box_reg").item<double>(), 0.0);
  EXPECT_NEAR(out.losses.at("loss_objectness").item<double>(), std::log(2.0), 0.05) << "logits near 0 at init";
  torch::optim::SGD opt(rpn->parameters(), torch::optim::SGDOptions(0.5).momentum(0.9));
  const double first = rpn_loss(rpn, images, features, gt, &opt);
  for (int i = 0; i < 30; ++i) rpn_loss(rpn, images, features, gt, &opt);
  const double last = rpn_loss(rpn, images, features, gt, nullptr);
  std::cout << "RPN loss: step 0 " << first << ", after 31 SGD steps " << last << "\n";
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

}  // namespace
