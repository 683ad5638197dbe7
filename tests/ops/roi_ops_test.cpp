// The ops through the C++ API. Numerical parity with torchvision and gradcheck live in
// tests/parity/ops_parity_test.py; here: the C++ entry points, finite differences, and error messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/ops/box_ops.h"
#include "beyond/ops/roi_ops.h"
#include "support/helpers.h"

namespace beyond {
namespace {

torch::Tensor sample_rois() {
  return torch::tensor({{0.0, 1.0, 2.0, 14.0, 9.0}, {1.0, -3.0, 4.0, 7.0, 30.0}, {0.0, 5.0, 5.0, 5.0, 5.0}},
                       torch::kFloat64);
}

TEST(RoiAlign, PerImageBoxListsEqualTheRoisForm) {
  torch::manual_seed(0);
  auto x = torch::randn({2, 3, 12, 10}, torch::kFloat64);
  auto rois = sample_rois();
  auto from_rois = ops::roi_align(x, rois, 0.5, 4, 4, 2, true);
  std::vector<torch::Tensor> boxes = {torch::stack({rois[0], rois[2]}).slice(1, 1), rois.slice(0, 1, 2).slice(1, 1)};
  auto from_lists = ops::roi_align(x, boxes, 0.5, 4, 4, 2, true);
  // The lists order boxes image by image: rois 0, 2, then 1.
  EXPECT_TRUE(torch::allclose(from_lists, torch::stack({from_rois[0], from_rois[2], from_rois[1]})));
  auto [pooled, argmax] = ops::roi_pool(x, boxes, 0.5, 3, 3);
  EXPECT_EQ(pooled.sizes(), (std::vector<int64_t>{3, 3, 3, 3}));
}

TEST(RoiAlign, GradientMatchesCentralDifferences) {
  torch::manual_seed(1);
  auto x = torch::randn({2, 2, 8, 9}, torch::kFloat64).requires_grad_();
  auto rois = sample_rois();
  auto w = torch::randn({3, 2, 3, 2}, torch::kFloat64);
  (ops::roi_align(x, rois, 0.5, 3, 2, -1, false) * w).sum().backward();
  const double eps = 1e-6;
  auto flat = x.detach().clone().view(-1);
  for (int64_t i = 0; i < flat.numel(); i += 7) {
    const double v = flat[i].item<double>();
    flat[i] = v + eps;
    const double up = (ops::roi_align(flat.view(x.sizes()), rois, 0.5, 3, 2, -1, false) * w).sum().item<double>();
    flat[i] = v - eps;
    const double down = (ops::roi_align(flat.view(x.sizes()), rois, 0.5, 3, 2, -1, false) * w).sum().item<double>();
    flat[i] = v;
    EXPECT_NEAR(x.grad().view(-1)[i].item<double>(), (up - down) / (2 * eps), 1e-6) << "element " << i;
  }
}

TEST(RoiAlign, DoubleBackwardIsRefused) {
  auto x = torch::randn({1, 1, 6, 6}, torch::kFloat64).requires_grad_();
  // The gradient with respect to x depends on the weights w, so differentiating it again must go
  // through the backward op.
  auto w = torch::randn({1, 1, 2, 2}, torch::kFloat64).requires_grad_();
  auto out = ops::roi_align(x, sample_rois().slice(0, 0, 1), 1.0, 2, 2, 2, true);
  auto grad = torch::autograd::grad({(out * w).sum()}, {x}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];
  const std::string msg = test::torch_error_of([&] { grad.sum().backward(); });
  EXPECT_NE(msg.find("double backward is not supported"), std::string::npos) << msg;
}

TEST(RoiOps, ChecksNameTheArgumentAndTheExpectation) {
  auto x = torch::randn({2, 3, 8, 8});
  EXPECT_NE(test::torch_error_of([&] { ops::roi_align(x, torch::zeros({12, 4}), 1.0, 7, 7, 2, true); })
                .find("rois must be a [K, 5] tensor (batch index, x1, y1, x2, y2), got [12, 4]"),
            std::string::npos);
  EXPECT_NE(test::torch_error_of([&] { ops::roi_align(x, torch::zeros({1, 5}, torch::kFloat64), 1.0, 7, 7, 2, true); })
                .find("rois must have the dtype of input (Float), got Double"),
            std::string::npos);
  EXPECT_NE(test::torch_error_of([&] { ops::roi_pool(x.view({2, 3, 64}), torch::zeros({1, 5}), 1.0, 7, 7); })
                .find("input must have 4 dimensions, got shape [2, 3, 64]"),
            std::string::npos);
  EXPECT_NE(test::torch_error_of([&] { ops::roi_align(x, torch::tensor({{2.0f, 0.f, 0.f, 1.f, 1.f}}), 1.0, 7, 7, 2, true); })
                .find("batch indices in [2, 2] but input has a batch of 2"),
            std::string::npos);
  EXPECT_NE(test::torch_error_of([&] { ops::roi_pool(x, torch::zeros({1, 5}), 1.0, 0, 7); }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(test::torch_error_of([&] { ops::box_iou(torch::zeros({2, 4}), torch::zeros({2, 4}, torch::kInt32)); })
                .find("boxes2 must be float32 or float64, got Int"),
            std::string::npos);
}

TEST(Nms, KeepsByDecreasingScoreAndBatchedKeepsCategoriesApart) {
  auto boxes = torch::tensor({{0.f, 0.f, 10.f, 10.f}, {1.f, 1.f, 11.f, 11.f}, {20.f, 20.f, 30.f, 30.f}});
  auto scores = torch::tensor({0.5f, 0.9f, 0.7f});
  EXPECT_TRUE(torch::equal(ops::nms(boxes, scores, 0.5), torch::tensor({1, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(ops::batched_nms(boxes, scores, torch::tensor({0, 1, 0}), 0.5),
                           torch::tensor({1, 2, 0}, torch::kLong)));
  auto iou = ops::box_iou(boxes, boxes);
  EXPECT_NEAR(iou[0][1].item<double>(), 81.0 / 119.0, 1e-6);
  EXPECT_EQ(iou[0][2].item<double>(), 0.0);
}

}  // namespace
}  // namespace beyond
