// The SpatialTransformer module and the classifiers around it: identity at initialisation, shapes,
// parallel transformers, errors, budget matching, and that training moves θ and lowers the loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/models/stn/spatial_transformer.h"
#include "beyond/models/stn/stn_classifier.h"
#include "support/helpers.h"

namespace beyond::models {
namespace {

TEST(SpatialTransformer, StartsAsTheIdentityForEveryFamilyAndLocalisation) {
  torch::manual_seed(0);
  auto x = torch::rand({3, 2, 12, 12});
  for (auto kind : {TransformKind::Affine, TransformKind::Attention, TransformKind::RotationScaleTranslation,
                    TransformKind::Projective, TransformKind::ThinPlateSpline})
    for (std::string loc : {"conv", "mlp"}) {
      SpatialTransformer st(SpatialTransformerOptions(2, {12, 12}, {12, 12}).transform(kind).localisation(loc));
      auto out = st->forward(x);
      EXPECT_TRUE(torch::allclose(out, x, 1e-5, 1e-5)) << transform_kind_name(kind) << " " << loc;
      auto theta = st->theta(x);
      EXPECT_EQ(theta.sizes(), (std::vector<int64_t>{3, 1, transform_parameter_count(kind, 4)}));
    }
}

TEST(SpatialTransformer, OutputSizeAndParallelTransformersShapeTheOutput) {
  SpatialTransformer st(SpatialTransformerOptions(3, {20, 16}, {7, 5}).count(2).transform(TransformKind::Attention));
  auto out = st->forward(torch::rand({4, 3, 20, 16}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{4, 6, 7, 5}));
  // Given θ's: the second transformer zooms out (scale 2) and so differs from the first (identity).
  auto x = torch::rand({1, 3, 20, 16});
  auto theta = torch::tensor({1.0f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f}).view({1, 2, 3});
  auto y = st->transform(x, theta);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 6, 7, 5}));
  EXPECT_FALSE(torch::allclose(y.slice(1, 0, 3), y.slice(1, 3, 6)));
}

TEST(SpatialTransformer, BadShapesAndOptionsAreRejectedWithAMessage) {
  SpatialTransformer st(SpatialTransformerOptions(1, {8, 8}, {8, 8}));
  auto msg = test::error_of([&] { st->forward(torch::rand({8, 8})); });
  EXPECT_NE(msg.find("expected input of shape [N, 1, 8, 8]"), std::string::npos) << msg;
  msg = test::error_of([&] { st->forward(torch::rand({2, 1, 9, 8})); });
  EXPECT_NE(msg.find("expected input of shape [N, 1, 8, 8]"), std::string::npos) << msg;
  msg = test::error_of([&] { st->transform(torch::rand({2, 1, 8, 8}), torch::rand({2, 1, 4})); });
  EXPECT_NE(msg.find("expected theta of shape [2, 1, 6]"), std::string::npos) << msg;
  msg = test::error_of([&] { SpatialTransformer(SpatialTransformerOptions(1, {8, 8}, {0, 8})); });
  EXPECT_NE(msg.find("output size must be positive"), std::string::npos) << msg;
  msg = test::error_of([&] { SpatialTransformer(SpatialTransformerOptions(1, {8, 8}, {8, 8}).localisation("rnn")); });
  EXPECT_NE(msg.find("'conv' or 'mlp'"), std::string::npos) << msg;
}

TEST(StnClassifier, BudgetMatchingBringsTheStModelToThePlainModelsSize) {
  for (std::string backbone : {"fcn", "cnn"}) {
    StnClassifier plain(StnClassifierOptions(backbone, 1, {28, 28}).hidden(128));
    const int64_t target = parameter_count(*plain);
    auto options = StnClassifierOptions(backbone, 1, {28, 28})
                       .transformer(SpatialTransformerOptions(1, {28, 28}, {28, 28})
                                        .localisation(backbone == "fcn" ? "mlp" : "conv"));
    options.hidden(budget_matched_hidden(options, target));
    EXPECT_LT(options.hidden(), 128) << backbone;
    StnClassifier st(options);
    EXPECT_NEAR(static_cast<double>(parameter_count(*st)), static_cast<double>(target), 0.01 * target) << backbone;
    EXPECT_EQ(st->forward(torch::rand({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 10}));
  }
}

TEST(StnClassifier, ATransformerInsideTheCnnStartsAsTheIdentityOnTheFeatureMaps) {
  torch::manual_seed(5);
  StnClassifier plain(StnClassifierOptions("cnn", 1, {28, 28}).hidden(40));
  // After the first conv stage the transformer receives 16 channels at 14 x 14.
  auto options = StnClassifierOptions("cnn", 1, {28, 28}).hidden(40).transformer_after(1).transformer(
      SpatialTransformerOptions(16, {14, 14}, {14, 14}));
  StnClassifier st(options);
  {
    torch::NoGradGuard no_grad;
    auto from = plain->named_parameters();
    for (auto& p : st->named_parameters())
      if (p.key().rfind("transformer.", 0) != 0) p.value().copy_(from[p.key()]);
  }
  // The identity grid samples the pixel centres exactly, so the ST model is the plain one at first.
  auto x = torch::rand({3, 1, 28, 28});
  EXPECT_TRUE(torch::allclose(st->forward(x), plain->forward(x), 1e-5, 1e-5));
  auto theta = st->theta(x);
  EXPECT_EQ(theta.sizes(), (std::vector<int64_t>{3, 1, 6}));
  // Drawn on the input, θ = identity leaves the images as they are, at their own size.
  EXPECT_TRUE(torch::allclose(st->warp_input(x, theta), x, 1e-5, 1e-5));

  // The budget matching counts the transformer where it is.
  const int64_t target = parameter_count(*plain);
  options.hidden(budget_matched_hidden(options, target));
  EXPECT_NEAR(static_cast<double>(parameter_count(*StnClassifier(options))), static_cast<double>(target),
              0.01 * target);
}

TEST(StnClassifier, AMisplacedTransformerIsRejectedWithAMessage) {
  auto msg = test::error_of([&] {
    StnClassifier(StnClassifierOptions("cnn", 1, {28, 28}).transformer_after(1).transformer(
        SpatialTransformerOptions(1, {28, 28}, {28, 28})));
  });
  EXPECT_NE(msg.find("after 1 conv stage(s) receives [16, 14, 14]"), std::string::npos) << msg;
  msg = test::error_of([&] {
    StnClassifier(StnClassifierOptions("cnn", 1, {28, 28}).transformer_after(3).transformer(
        SpatialTransformerOptions(1, {28, 28}, {28, 28})));
  });
  EXPECT_NE(msg.find("transformer_after must be in [0, 2]"), std::string::npos) << msg;
  msg = test::error_of([&] {
    StnClassifier(StnClassifierOptions("fcn", 1, {28, 28}).transformer_after(1).transformer(
        SpatialTransformerOptions(16, {14, 14}, {14, 14})));
  });
  EXPECT_NE(msg.find("the FCN has none"), std::string::npos) << msg;
}

TEST(StnClassifier, AFewStepsLowerTheLossAndMoveTheta) {
  torch::manual_seed(3);
  // Tiny data: blobs whose label is the quadrant of their centre.
  auto x = test::blob_images(64, 5);
  auto idx = x.view({64, -1}).argmax(1);
  auto labels = (idx / 28 >= 14).to(torch::kLong) * 2 + (idx % 28 >= 14).to(torch::kLong);
  StnClassifier net(StnClassifierOptions("cnn", 1, {28, 28}).num_classes(4).hidden(32).transformer(
      SpatialTransformerOptions(1, {28, 28}, {20, 20})));
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(3e-3));
  const auto theta0 = net->transformer()->theta(x).detach().clone();
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    auto loss = torch::cross_entropy_loss(net->forward(x), labels);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, 0.7 * first);
  EXPECT_GT((net->transformer()->theta(x) - theta0).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace beyond::models
