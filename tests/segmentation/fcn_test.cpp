// FCN-32s/16s/8s: shapes at any input size, torchvision's names, exact alignment of the skips
// (against an interpolate-based reference), gradients, and a few steps of training on tiny data.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "beyond/core/safetensors.h"
#include "beyond/losses/pixel_cross_entropy.h"
#include "beyond/models/segmentation/fcn.h"
#include "support/helpers.h"

namespace beyond::models {
namespace {
namespace F = torch::nn::functional;

FcnVggOptions tiny_vgg() {
  return FcnVggOptions().widths({4, 6, 8, 8, 8}).convs({1, 1, 1, 1, 1}).fc_channels(12).fc6_kernel(3).dropout(0);
}

ResNetOptions tiny_resnet() {
  return ResNetOptions(ResNetOptions::Block::Basic, {1, 1, 1, 1})
      .widths({4, 6, 8, 8})
      .stem_channels(4)
      .norm(NormKind::BatchNorm);
}

FcnOptions tiny(FcnBackbone backbone, int skips, int64_t classes = 5) {
  return FcnOptions(classes).skips(skips).backbone(backbone).vgg(tiny_vgg()).resnet(tiny_resnet());
}

TEST(Fcn, LogitsHaveTheInputSizeForEveryVariantAndOddSizes) {
  torch::manual_seed(0);
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{64, 64}, {37, 53}, {97, 31}, {1, 1}, {33, 65}};
  for (auto backbone : {FcnBackbone::Vgg, FcnBackbone::ResNet})
    for (int skips : {0, 1, 2}) {
      Fcn fcn(tiny(backbone, skips));
      fcn->eval();
      for (const auto& [h, w] : sizes) {
        const auto out = fcn(torch::randn({2, 3, h, w}));
        EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 5, h, w}))
            << (backbone == FcnBackbone::Vgg ? "vgg" : "resnet") << " skips " << skips << " " << h << "x" << w;
      }
    }
}

TEST(Fcn, SubmodulesOfEachVariantAndTorchvisionNamesInTheVggBody) {
  for (bool bn : {false, true}) {
    auto vgg = FcnVggOptions::vgg16().fc_channels(16).batch_norm(bn);  // full VGG-16 body, narrow fc6 / fc7
    Fcn fcn(FcnOptions(21).skips(2).vgg(vgg));
    const auto names = state_dict(*fcn);
    // torchvision's vgg16 / vgg16_bn `features` indices of the 13 convolutions.
    const std::vector<int> convs = bn ? std::vector<int>{0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40}
                                      : std::vector<int>{0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
    for (int i : convs) EXPECT_TRUE(names.count("backbone.features." + std::to_string(i) + ".weight")) << i;
    if (bn) {
      EXPECT_TRUE(names.count("backbone.features.1.running_mean"));
    }
    EXPECT_EQ(names.at("backbone.features.0.weight").sizes(), (std::vector<int64_t>{64, 3, 3, 3}));
    EXPECT_EQ(names.at("backbone.fc6.weight").sizes(), (std::vector<int64_t>{16, 512, 7, 7}));
    EXPECT_EQ(names.at("upscore.weight").sizes(), (std::vector<int64_t>{21, 21, 16, 16}));
    EXPECT_EQ(names.at("upscore2.weight").sizes(), (std::vector<int64_t>{21, 21, 4, 4}));
    EXPECT_EQ(names.at("upscore_pool4.weight").sizes(), (std::vector<int64_t>{21, 21, 4, 4}));
    EXPECT_EQ(names.at("score_pool3.weight").sizes(), (std::vector<int64_t>{21, 256, 1, 1}));
  }
  const auto s32 = state_dict(*Fcn(tiny(FcnBackbone::Vgg, 0)));
  EXPECT_FALSE(s32.count("score_pool4.weight"));
  EXPECT_EQ(s32.at("upscore.weight").size(2), 64);
  const auto s16 = state_dict(*Fcn(tiny(FcnBackbone::Vgg, 1)));
  EXPECT_TRUE(s16.count("score_pool4.weight"));
  EXPECT_FALSE(s16.count("score_pool3.weight"));
  EXPECT_EQ(s16.at("upscore.weight").size(2), 32);
  const auto r8 = state_dict(*Fcn(tiny(FcnBackbone::ResNet, 2)));
  EXPECT_TRUE(r8.count("backbone.layer4.0.conv1.weight"));
  EXPECT_EQ(r8.at("upscore.weight").size(2), 15);  // ResNet cells sit on pixels: 2f - 1
  EXPECT_EQ(r8.at("upscore2.weight").size(2), 3);
}

TEST(Fcn, TorchvisionClassifierBecomesConvolutionalFc6AndFc7) {
  std::map<std::string, torch::Tensor> tv{{"features.0.weight", torch::randn({4, 3, 3, 3})},
                                          {"classifier.0.weight", torch::randn({8, 2 * 49})},
                                          {"classifier.0.bias", torch::randn({8})},
                                          {"classifier.3.weight", torch::randn({8, 8})},
                                          {"classifier.6.weight", torch::randn({10, 8})}};
  const auto fc = vgg16_classifier_as_fc(tv, "backbone.");
  EXPECT_TRUE(fc.count("backbone.features.0.weight"));
  EXPECT_FALSE(fc.count("backbone.classifier.6.weight"));
  ASSERT_EQ(fc.at("backbone.fc6.weight").sizes(), (std::vector<int64_t>{8, 2, 7, 7}));
  // A convolution over a 7x7 map with fc6's weight is the Linear layer on the flattened map.
  const auto x = torch::randn({1, 2, 7, 7});
  const auto conv = F::conv2d(x, fc.at("backbone.fc6.weight")).flatten();
  EXPECT_TRUE(torch::allclose(conv, torch::mv(tv.at("classifier.0.weight"), x.flatten()), 1e-4, 1e-4));
}

/// 1-D-separable reference of FCN's decoder with ATen's interpolate(align_corners=false): each x2 step
/// interpolates and keeps the first `cells` of the finer grid, then adds that grid's skip scores.
torch::Tensor interpolate_by(const torch::Tensor& x, int64_t f) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .scale_factor(std::vector<double>{double(f), double(f)})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

// With every score layer random, the module's output equals the interpolate-based decoder away from
// the borders (48 pixels: the x2 steps' border cells, see bilinear_upsample_test, spread through the
// later steps), and differs from it when the result is one pixel off.
TEST(Fcn, VggSkipsAreAlignedExactlyAsBilinearInterpolationAlignsThem) {
  torch::manual_seed(1);
  for (int skips : {0, 1, 2}) {
    Fcn fcn(tiny(FcnBackbone::Vgg, skips, 3));
    fcn->eval();
    torch::NoGradGuard no_grad;
    for (auto& p : fcn->named_parameters())
      if (p.key().rfind("score_", 0) == 0) p.value().normal_();
    const int64_t h = 200, w = 264;
    const auto images = torch::randn({1, 3, h, w});
    const auto out = fcn(images);
    const auto maps = fcn->features(images);
    auto params = fcn->named_parameters();
    const auto score = [&](const char* name, const torch::Tensor& m) {
      return at::conv2d(m, params[str(name, ".weight")], params[str(name, ".bias")]);
    };
    auto ref = score("score_fr", maps[2]);
    if (skips >= 1) {
      const auto fine = score("score_pool4", maps[1]);
      ref = interpolate_by(ref, 2).slice(2, 0, fine.size(2)).slice(3, 0, fine.size(3)) + fine;
    }
    if (skips >= 2) {
      const auto fine = score("score_pool3", maps[0]);
      ref = interpolate_by(ref, 2).slice(2, 0, fine.size(2)).slice(3, 0, fine.size(3)) + fine;
    }
    ref = interpolate_by(ref, 32 >> skips).slice(2, 0, h).slice(3, 0, w);
    const int64_t b = 48;
    const auto inner = [&](const torch::Tensor& t, int64_t dy, int64_t dx) {
      return t.slice(2, b + dy, h - b + dy).slice(3, b + dx, w - b + dx);
    };
    const double scale = ref.abs().max().item<double>();
    EXPECT_LT((inner(out, 0, 0) - inner(ref, 0, 0)).abs().max().item<double>(), 1e-4 * scale) << "skips " << skips;
    EXPECT_GT((inner(out, 0, 0) - inner(ref, 0, 1)).abs().max().item<double>(), 1e-3 * scale) << "skips " << skips;
    EXPECT_GT((inner(out, 0, 0) - inner(ref, 1, 0)).abs().max().item<double>(), 1e-3 * scale) << "skips " << skips;
  }
}

// ResNet's cells sit on pixels (cell j of the stride-32 map on pixel 32 j), so FCN-32s on it is
// interpolation with align_corners=true between those pixels -- exactly, borders included, over rows and
// columns 0 .. 32 (n - 1) -- and a one-pixel shift is seen.
TEST(Fcn, ResNetScoresAreInterpolatedBetweenTheCellsPixels) {
  torch::manual_seed(4);
  Fcn fcn(tiny(FcnBackbone::ResNet, 0, 3));
  fcn->eval();
  torch::NoGradGuard no_grad;
  auto params = fcn->named_parameters();
  params["score_fr.weight"].normal_();
  params["score_fr.bias"].normal_();
  const auto images = torch::randn({1, 3, 150, 101});
  const auto out = fcn(images);
  const auto coarse = at::conv2d(fcn->features(images)[2], params["score_fr.weight"], params["score_fr.bias"]);
  ASSERT_EQ(coarse.size(2), 5);  // ceil(150 / 32)
  ASSERT_EQ(coarse.size(3), 4);  // ceil(101 / 32)
  const int64_t h = 32 * 4 + 1, w = 32 * 3 + 1;
  const auto ref = F::interpolate(coarse, F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{h, w})
                                              .mode(torch::kBilinear)
                                              .align_corners(true));
  const auto ours = out.slice(2, 0, h).slice(3, 0, w);
  const double scale = ref.abs().max().item<double>();
  EXPECT_LT((ours - ref).abs().max().item<double>(), 1e-4 * scale);
  EXPECT_GT((ours.slice(3, 1, w) - ref.slice(3, 0, w - 1)).abs().max().item<double>(), 1e-3 * scale);
}

// The skip scores start at zero (the paper's staged training: FCN-8s begins computing what FCN-32s
// computes), and the gradient still reaches them and the upsampling weights.
TEST(Fcn, ZeroInitialisedSkipsReceiveGradients) {
  torch::manual_seed(2);
  Fcn s8(tiny(FcnBackbone::Vgg, 2));
  EXPECT_EQ(s8->named_parameters()["score_pool3.weight"].abs().sum().item<float>(), 0);
  const auto x = torch::randn({1, 3, 96, 96});
  const auto labels = torch::randint(0, 5, {1, 96, 96});
  losses::pixel_cross_entropy(s8(x), labels).backward();
  for (const char* name : {"score_fr.weight", "score_pool3.weight", "score_pool4.weight"})
    EXPECT_GT(s8->named_parameters()[name].grad().abs().sum().item<float>(), 0) << name;
  // Through zero scores the upsampling weights see no gradient yet; once the scores move, they do.
  {
    torch::NoGradGuard no_grad;
    s8->named_parameters()["score_fr.weight"].normal_();
  }
  s8->zero_grad();
  losses::pixel_cross_entropy(s8(x), labels).backward();
  for (const char* name : {"upscore.weight", "upscore2.weight", "upscore_pool4.weight"})
    EXPECT_GT(s8->named_parameters()[name].grad().abs().sum().item<float>(), 0) << name;
}

TEST(Fcn, BadOptionsAndInputsAreNamed) {
  EXPECT_NE(test::error_of([] { Fcn(FcnOptions(3).skips(3).vgg(tiny_vgg())); }).find("skips must be 0"), std::string::npos);
  EXPECT_NE(test::error_of([] { Fcn(FcnOptions(3).vgg(tiny_vgg().widths({4, 4}))); }).find("one value per block"),
            std::string::npos);
  Fcn fcn(tiny(FcnBackbone::Vgg, 2));
  EXPECT_NE(test::error_of([&] { fcn(torch::zeros({1, 1, 8, 8})); }).find("expected an [N, 3, H, W]"), std::string::npos);
}

TEST(Fcn, OptimizedForInferenceGivesTheSameLogits) {
  // fc6 7x7 runs as a matrix product (FcnVggBody::gemm_fc6), whose weight stays as it is when channels-last.
  for (auto [backbone, fc6_kernel] : std::vector<std::pair<FcnBackbone, int64_t>>{
           {FcnBackbone::Vgg, 3}, {FcnBackbone::Vgg, 7}, {FcnBackbone::ResNet, 3}})
    for (bool channels_last : {false, true}) {
      torch::manual_seed(4);
      auto options = tiny(backbone, 2);
      options.vgg(tiny_vgg().batch_norm(true).fc6_kernel(fc6_kernel));
      Fcn fcn(options);
      {
        // Non-trivial norms and scores, or folding and skips would have nothing to get wrong.
        torch::NoGradGuard no_grad;
        for (const auto& item : fcn->named_modules())
          if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(item.value())) {
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.normal_(0, 0.2);
            bn->running_mean.normal_(0, 0.2);
            bn->running_var.uniform_(0.5, 1.5);
          }
        for (const auto& p : fcn->named_parameters())
          if (p.key().find("score") != std::string::npos) p.value().normal_(0, 0.3);
      }
      fcn->eval();
      const auto images = torch::randn({2, 3, 45, 67});
      torch::NoGradGuard no_grad;
      const auto before = fcn(images);
      const auto norms = [&] {
        int64_t n = 0;
        for (const auto& item : fcn->named_modules())
          n += std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(item.value()) != nullptr;
        return n;
      };
      EXPECT_GT(norms(), 0);
      fcn->optimize_for_inference(channels_last);
      EXPECT_EQ(norms(), 0) << "every BatchNorm2d is folded";
      EXPECT_EQ(fcn->channels_last(), channels_last);
      const auto after = fcn(images);
      ASSERT_EQ(after.sizes(), before.sizes());
      EXPECT_EQ(after.stride(1) == 1, channels_last) << "channels-last logits (a cropped view) have channel stride 1";
      const double err = (after - before).abs().max().item<double>() / before.abs().max().item<double>();
      EXPECT_LT(err, 1e-5) << (backbone == FcnBackbone::Vgg ? "vgg" : "resnet") << " fc6 " << fc6_kernel
                           << " channels_last " << channels_last;
    }
  Fcn training(tiny(FcnBackbone::Vgg, 2));
  EXPECT_NE(test::error_of([&] { training->optimize_for_inference(); }).find("call eval() first"), std::string::npos);
}

TEST(FcnVggBody, Fc6AsOneMatrixProductEqualsConv2dForwardAndBackward) {
  torch::manual_seed(5);
  for (int64_t k : {3, 7}) {
    const auto x = torch::randn({2, 6, 5, 7}, torch::requires_grad());
    const auto w = torch::randn({9, 6, k, k}, torch::requires_grad()), b = torch::randn({9}, torch::requires_grad());
    const auto grad = torch::randn({2, 9, 5, 7});
    const auto ref = torch::conv2d(x, w, b, 1, k / 2);
    const auto refs = torch::autograd::grad({ref}, {x, w, b}, {grad});
    const auto out = detail::conv2d_as_gemm(x, w, b);
    ASSERT_EQ(out.sizes(), ref.sizes());
    EXPECT_TRUE(torch::allclose(out, ref, 1e-5, 1e-5)) << "k " << k;
    const auto grads = torch::autograd::grad({out}, {x, w, b}, {grad});
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(grads[i], refs[i], 1e-4, 1e-4)) << "k " << k << " grad " << i;
  }
}

TEST(FcnVggBody, PoolingWithoutGradientsEqualsCeilModeMaxPool) {
  torch::manual_seed(6);
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{8, 8}, {7, 9}, {1, 1}, {5, 2}}) {
    auto x = torch::randn({2, 3, h, w});
    x.view(-1)[0] = -std::numeric_limits<float>::infinity();
    x.view(-1)[x.numel() - 1] = std::numeric_limits<float>::quiet_NaN();  // propagates as max_pool2d's does
    const auto ref = torch::max_pool2d(x, 2, 2, 0, 1, /*ceil_mode=*/true);
    const auto out = detail::max_pool_2x2_ceil(x);
    ASSERT_EQ(out.sizes(), ref.sizes()) << h << "x" << w;
    EXPECT_TRUE(torch::equal(out.isnan(), ref.isnan())) << h << "x" << w;
    EXPECT_TRUE(torch::equal(out.nan_to_num(0), ref.nan_to_num(0))) << h << "x" << w;
  }
  // The body takes that path without gradients only; both give the same maps (fc6 7x7: the GEMM path).
  torch::manual_seed(7);
  FcnVggBody body(tiny_vgg().fc6_kernel(7).batch_norm(true));
  body->eval();
  const auto images = torch::randn({1, 3, 45, 67});
  const auto with_grad = body(images);
  torch::NoGradGuard no_grad;
  const auto without = body(images);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(with_grad[i], without[i])) << "map " << i;
}

/// Two 40x40 images: a bright square (class 1) and a dark disc (class 2) on grey (class 0).
std::pair<torch::Tensor, torch::Tensor> toy_batch() {
  auto images = torch::full({2, 3, 40, 40}, 0.5f), labels = torch::zeros({2, 40, 40}, torch::kInt64);
  images.slice(2, 8, 24).slice(3, 10, 30).fill_(1.0f);
  labels.slice(1, 8, 24).slice(2, 10, 30).fill_(1);
  const auto yy = torch::arange(40).view({40, 1}), xx = torch::arange(40).view({1, 40});
  const auto disc = ((yy - 20).pow(2) + (xx - 22).pow(2)) <= 100;
  images[1].masked_fill_(disc.unsqueeze(0).expand({3, 40, 40}), 0.0f);
  labels[1].masked_fill_(disc, 2);
  labels[1][0].fill_(255);  // an ignored row
  return {(images - 0.5) / 0.25, labels};
}

TEST(Fcn, AFewOptimisationStepsOnTinyDataLowerTheLoss) {
  for (int skips : {0, 2}) {
    torch::manual_seed(3);
    Fcn fcn(FcnOptions(3).skips(skips).vgg(tiny_vgg().batch_norm(true)));
    torch::optim::Adam opt(fcn->parameters(), torch::optim::AdamOptions(1e-2));
    const auto [images, labels] = toy_batch();
    double first = 0, last = 0;
    for (int step = 0; step < 30; ++step) {
      opt.zero_grad();
      const auto loss = losses::pixel_cross_entropy(fcn(images), labels);
      loss.backward();
      opt.step();
      (step == 0 ? first : last) = loss.item<double>();
    }
    EXPECT_LT(last, 0.6 * first) << "skips " << skips << ": " << first << " -> " << last;
  }
}

}  // namespace
}  // namespace beyond::models
