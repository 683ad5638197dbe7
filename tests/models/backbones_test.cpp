#include "beyond/core/safetensors.h"
#include "beyond/models/backbones/backbone_with_fpn.h"
#include "beyond/models/backbones/norm.h"
#include "beyond/models/backbones/resnet.h"
#include "beyond/models/backbones/vgg.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/helpers.h"

namespace {

using namespace beyond::models;

/// Random norm statistics and affine parameters, so folding has something to fold.
void randomise_norms(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& b : m.named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.1);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
  for (auto& child : m.modules()) {
    if (auto f = std::dynamic_pointer_cast<FrozenBatchNorm2dImpl>(child)) {
      f->weight.uniform_(0.3, 0.7);
      f->bias.normal_(0, 0.1);
    }
    if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(child)) {
      bn->weight.uniform_(0.3, 0.7);
      bn->bias.normal_(0, 0.1);
    }
  }
}

double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

bool has(const beyond::TensorMap& m, const std::string& key) { return m.count(key) > 0; }

TEST(FrozenBatchNorm2d, BuffersOnlyAndEqualToEvalBatchNorm) {
  torch::manual_seed(0);
  FrozenBatchNorm2d frozen(5);
  torch::nn::BatchNorm2d bn(5);
  EXPECT_TRUE(frozen->parameters().empty()) << "an optimizer must never see frozen norms";
  auto names = beyond::state_dict(*frozen);
  EXPECT_EQ(names.size(), 4u);
  for (const char* k : {"weight", "bias", "running_mean", "running_var"}) EXPECT_TRUE(has(names, k)) << k;
  randomise_norms(*frozen);
  {
    torch::NoGradGuard g;
    bn->weight.copy_(frozen->weight);
    bn->bias.copy_(frozen->bias);
    bn->running_mean.copy_(frozen->running_mean);
    bn->running_var.copy_(frozen->running_var);
  }
  bn->eval();
  auto x = torch::randn({2, 5, 4, 3});
  EXPECT_LT(relative_error(frozen->forward(x), bn->forward(x)), 1e-6);
  EXPECT_FALSE(torch::allclose(frozen->forward(x), x)) << "random statistics must change the input";
}

TEST(FrozenBatchNorm2d, AppliedInsideTheConvolutionWithTheSameValuesAndGradients) {
  torch::manual_seed(0);
  for (bool with_bias : {false, true}) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(4, 6, 3).stride(2).padding(1).bias(with_bias));
    FrozenBatchNorm2d frozen(6);
    randomise_norms(*frozen);
    torch::nn::AnyModule norm(frozen);
    const auto x = torch::randn({2, 4, 9, 7}, torch::requires_grad());
    const auto g = torch::randn({2, 6, 5, 4});
    const auto reference = frozen->forward(conv->forward(x));
    reference.backward(g);
    const auto dx = x.grad().clone(), dw = conv->weight.grad().clone();
    x.mutable_grad().zero_();
    conv->weight.mutable_grad().zero_();
    const auto fused = conv_norm(conv, norm, x);
    fused.backward(g);
    EXPECT_LT(relative_error(fused, reference), 1e-5) << "bias " << with_bias;
    EXPECT_LT(relative_error(x.grad(), dx), 1e-5);
    EXPECT_LT(relative_error(conv->weight.grad(), dw), 1e-5);
  }
}

TEST(ResNet, TorchvisionNamesAndShapes) {
  torch::manual_seed(0);
  ResNet r50(ResNetOptions::resnet50());
  auto sd = beyond::state_dict(*r50);
  for (const char* k : {"conv1.weight", "bn1.running_var", "layer1.0.downsample.0.weight",
                        "layer1.0.downsample.1.weight", "layer4.2.conv3.weight", "layer4.2.bn3.bias"}) {
    EXPECT_TRUE(has(sd, k)) << k;
  }
  EXPECT_FALSE(has(sd, "fc.weight"));
  EXPECT_FALSE(has(sd, "layer1.1.downsample.0.weight")) << "only the first block of a stage changes shape";
  // torchvision's resnet50 without fc: 265 tensors with frozen norms (53 convs + 53 norms x 4 buffers).
  EXPECT_EQ(sd.size(), 265u);
  auto c = r50->forward(torch::randn({1, 3, 64, 96}));
  ASSERT_EQ(c.size(), 4u);
  const std::vector<std::vector<int64_t>> want = {{1, 256, 16, 24}, {1, 512, 8, 12}, {1, 1024, 4, 6}, {1, 2048, 2, 3}};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c[i].sizes(), torch::IntArrayRef(want[i])) << "C" << i + 2;

  ResNet r18(ResNetOptions::resnet18().norm(NormKind::BatchNorm));
  auto sd18 = beyond::state_dict(*r18);
  EXPECT_TRUE(has(sd18, "layer2.0.bn1.num_batches_tracked")) << "plain BatchNorm2d as with torchvision's weights=None";
  EXPECT_FALSE(has(sd18, "layer1.0.downsample.0.weight")) << "BasicBlock stage 1 keeps 64 channels";
  EXPECT_EQ(r18->forward(torch::randn({1, 3, 64, 64}))[3].sizes(), torch::IntArrayRef({1, 512, 2, 2}));
}

TEST(ResNet, TrainableLayersFollowTorchvision) {
  auto trainable = [](int n, NormKind norm) {
    ResNet r(ResNetOptions::resnet18().norm(norm).trainable_layers(n));
    std::set<std::string> on;
    for (auto& p : r->named_parameters()) {
      if (p.value().requires_grad()) on.insert(p.key().substr(0, p.key().find('.')));
    }
    return on;
  };
  EXPECT_EQ(trainable(3, NormKind::Frozen), (std::set<std::string>{"layer2", "layer3", "layer4"}));
  EXPECT_EQ(trainable(0, NormKind::Frozen), std::set<std::string>{});
  EXPECT_EQ(trainable(4, NormKind::BatchNorm), (std::set<std::string>{"layer1", "layer2", "layer3", "layer4"}));
  EXPECT_EQ(trainable(5, NormKind::BatchNorm), (std::set<std::string>{"bn1", "conv1", "layer1", "layer2", "layer3", "layer4"}));
  EXPECT_NE(beyond::test::error_of([] { ResNet(ResNetOptions::resnet18().trainable_layers(6)); })
                .find("trainable_layers must be in [0, 5], got 6"),
            std::string::npos);
  EXPECT_NE(beyond::test::error_of([] { ResNetOptions::from_depth(101); }).find("resnet depth 101"), std::string::npos);
}

TEST(BackboneWithFPN, LevelsNamesAndStrides) {
  torch::manual_seed(0);
  auto b = resnet_fpn_backbone(ResNetOptions::resnet18());
  auto sd = beyond::state_dict(*b);
  for (const char* k : {"body.conv1.weight", "body.layer4.1.bn2.running_mean", "fpn.inner_blocks.0.0.weight",
                        "fpn.inner_blocks.3.0.bias", "fpn.layer_blocks.3.0.weight"}) {
    EXPECT_TRUE(has(sd, k)) << k;
  }
  EXPECT_EQ(sd.at("fpn.inner_blocks.0.0.weight").sizes(), torch::IntArrayRef({256, 64, 1, 1}));
  b->eval();
  torch::NoGradGuard g;
  auto f = b->forward(torch::randn({2, 3, 100, 130}));
  EXPECT_EQ(f.keys(), (std::vector<std::string>{"0", "1", "2", "3", "pool"}));
  // Strides 4..64 with the ceil rounding of the convolutions and pools.
  const std::vector<std::pair<int64_t, int64_t>> hw = {{25, 33}, {13, 17}, {7, 9}, {4, 5}, {2, 3}};
  for (size_t i = 0; i < hw.size(); ++i) {
    EXPECT_EQ(f[i].value().sizes(), torch::IntArrayRef({2, 256, hw[i].first, hw[i].second})) << f[i].key();
  }
  EXPECT_EQ(b->out_channels(), 256);
  EXPECT_NE(beyond::test::error_of([&] { b->forward(torch::randn({1, 4, 32, 32})); }).find("[N, 3, H, W]"),
            std::string::npos);
}

TEST(BackboneWithFPN, FoldingAndChannelsLastKeepOutputs) {
  for (NormKind norm : {NormKind::Frozen, NormKind::BatchNorm}) {
    torch::manual_seed(1);
    auto b = resnet_fpn_backbone(ResNetOptions::resnet18().norm(norm));
    randomise_norms(*b);
    b->eval();
    torch::NoGradGuard g;
    auto x = torch::randn({1, 3, 64, 80});
    auto before = b->forward(x);
    b->fold_norm();
    auto sd = beyond::state_dict(*b);
    EXPECT_FALSE(has(sd, "body.bn1.running_var")) << "folded norms are gone";
    EXPECT_TRUE(has(sd, "body.conv1.bias")) << "their shift is the convolution's bias";
    auto folded = b->forward(x);
    b->set_channels_last(true);
    auto last = b->forward(x);
    for (size_t i = 0; i < before.size(); ++i) {
      EXPECT_LT(relative_error(folded[i].value(), before[i].value()), 1e-4) << before[i].key();
      EXPECT_LT(relative_error(last[i].value(), before[i].value()), 1e-4) << before[i].key();
    }
    EXPECT_TRUE(last[0].value().is_contiguous(torch::MemoryFormat::ChannelsLast));
  }
  auto train_mode = resnet_fpn_backbone(ResNetOptions::resnet18().norm(NormKind::BatchNorm));
  EXPECT_NE(beyond::test::error_of([&] { train_mode->fold_norm(); }).find("call eval() before folding"),
            std::string::npos);
}

TEST(Vgg16Backbone, Conv5AtStride16WithTorchvisionNames) {
  torch::manual_seed(0);
  Vgg16Backbone vgg(Vgg16Options().frozen_convs(4));
  auto sd = beyond::state_dict(vgg);
  EXPECT_EQ(sd.size(), 26u) << "13 convolutions, weight and bias";
  EXPECT_TRUE(has(sd, "features.28.weight"));
  EXPECT_TRUE(has(sd, "features.10.bias"));
  for (auto& p : vgg.named_parameters()) {
    const int index = std::stoi(p.key().substr(9));
    EXPECT_EQ(p.value().requires_grad(), index >= 10) << p.key() << ": Fast R-CNN fine-tunes from conv3_1";
  }
  torch::NoGradGuard g;
  auto f = vgg.forward(torch::randn({1, 3, 64, 96}));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f["0"].sizes(), torch::IntArrayRef({1, 512, 4, 6}));
  EXPECT_GE(f["0"].min().item<float>(), 0.0f) << "conv5_3 is followed by its ReLU";
}

TEST(SmallBackbone, SizedForTwoCoresAndTrainable) {
  torch::manual_seed(0);
  auto b = small_fpn_backbone();
  int64_t n = 0;
  for (auto& p : b->parameters()) n += p.numel();
  EXPECT_GT(n, 1000000);
  EXPECT_LT(n, 3000000);
  EXPECT_EQ(b->out_channels(), 96);
  auto f = b->forward(torch::randn({2, 3, 64, 64}));
  torch::Tensor loss = torch::zeros({});
  for (auto& level : f) loss = loss + level.value().pow(2).mean();
  loss.backward();
  for (auto& p : b->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  auto narrow = small_fpn_backbone(SmallBackboneOptions().widths({8, 16, 32, 64}).fpn_channels(32));
  narrow->eval();  // a single 1x1 map cannot be batch-normalised in training mode
  EXPECT_EQ(narrow->forward(torch::randn({1, 3, 32, 32}))["pool"].sizes(), torch::IntArrayRef({1, 32, 1, 1}));
}

TEST(Backbones, LoadWithPrefixFromADetectorStateDict) {
  torch::manual_seed(0);
  auto source = resnet_fpn_backbone(ResNetOptions::resnet18());
  randomise_norms(*source);
  beyond::TensorMap detector;
  for (auto& [k, v] : beyond::state_dict(*source)) detector["backbone." + k] = v;
  torch::manual_seed(1);
  auto target = resnet_fpn_backbone(ResNetOptions::resnet18());
  beyond::load_state_dict(*target, detector, "backbone.");
  source->eval();
  target->eval();
  auto x = torch::randn({1, 3, 64, 64});
  EXPECT_TRUE(torch::equal(source->forward(x)["0"], target->forward(x)["0"]));
  auto r34 = resnet_fpn_backbone(ResNetOptions::resnet34());
  EXPECT_NE(beyond::test::error_of([&] { beyond::load_state_dict(*r34, detector, "backbone."); })
                .find("missing tensor 'backbone.body.layer1.2.conv1.weight'"),
            std::string::npos);
  EXPECT_NE(beyond::test::error_of([] { parse_norm_kind("group", "backbone.norm"); }).find("backbone.norm: unknown norm 'group'"),
            std::string::npos);
}

}  // namespace
