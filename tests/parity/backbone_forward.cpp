/// Runs one backbone of beyond on saved inputs and writes its feature maps, for the torchvision
/// parity test (tests/parity/backbones_parity_test.py) and the speed comparison
/// (bench/backbone_vs_torchvision.py). Not a user tool: the CLI grows detection commands later.
///
///   backbone_forward MODEL INPUTS.safetensors OUT.safetensors [--weights W [--prefix P]]
///                    [--save-weights W] [--seed S] [--fold] [--channels-last] [--repeat N] [--threads T]
///
/// MODEL: resnet50_fpn | resnet18_fpn_frozen | resnet18 | resnet34 | vgg16 | small_fpn. Without
/// --weights the model is initialised from --seed with randomised norm statistics (so a
/// beyond -> torchvision check exercises them) and --save-weights writes that state_dict.
#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/core/threads.h"
#include "beyond/models/backbones/backbone_with_fpn.h"
#include "beyond/models/backbones/vgg.h"
#include "randomise_norms.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>

using namespace beyond;
using namespace beyond::models;

namespace {

/// Either a detection backbone or a bare ResNet body (torchvision's resnetNN without fc).
struct Model {
  std::shared_ptr<Backbone> backbone;
  ResNet body{nullptr};
  torch::nn::Module& module() { return backbone ? static_cast<torch::nn::Module&>(*backbone) : *body; }
  TensorMap run(const torch::Tensor& x) {
    TensorMap out;
    if (backbone) {
      for (auto& item : backbone->forward(x)) out[item.key()] = item.value().contiguous();
    } else {
      auto c = body->forward(x);
      for (size_t i = 0; i < c.size(); ++i) out["c" + std::to_string(i + 2)] = c[i].contiguous();
    }
    return out;
  }
};

Model build(const std::string& name) {
  Model m;
  if (name == "resnet50_fpn") {
    m.backbone = resnet_fpn_backbone(ResNetOptions::resnet50().norm(NormKind::BatchNorm));
  } else if (name == "resnet18_fpn_frozen") {
    m.backbone = resnet_fpn_backbone(ResNetOptions::resnet18().norm(NormKind::Frozen).trainable_layers(3));
  } else if (name == "resnet18" || name == "resnet34") {
    m.body = ResNet(ResNetOptions::from_depth(name == "resnet18" ? 18 : 34).norm(NormKind::Frozen));
  } else if (name == "vgg16") {
    m.backbone = std::make_shared<Vgg16Backbone>();
  } else if (name == "small_fpn") {
    m.backbone = small_fpn_backbone();
  } else {
    throw UsageError("unknown model '" + name + "'");
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  BEYOND_CHECK_USAGE(args.size() >= 3, "usage: backbone_forward MODEL INPUTS OUT [options]");
  std::string weights, prefix, save_weights;
  bool fold = false, channels_last = false;
  int repeat = 0, threads = 0;
  int64_t seed = 0;
  for (size_t i = 3; i < args.size(); ++i) {
    auto value = [&]() {
      BEYOND_CHECK_USAGE(i + 1 < args.size(), args[i], " needs a value");
      return args[++i];
    };
    if (args[i] == "--weights") weights = value();
    else if (args[i] == "--prefix") prefix = value();
    else if (args[i] == "--save-weights") save_weights = value();
    else if (args[i] == "--seed") seed = std::stoll(value());
    else if (args[i] == "--fold") fold = true;
    else if (args[i] == "--channels-last") channels_last = true;
    else if (args[i] == "--repeat") repeat = std::stoi(value());
    else if (args[i] == "--threads") threads = std::stoi(value());
    else throw UsageError("unknown option " + args[i]);
  }
  configure_threads(threads);
  torch::manual_seed(seed);
  Model model = build(args[0]);
  if (weights.empty()) {
    parity::randomise_norms(model.module());
  } else {
    load_state_dict(model.module(), load_safetensors(weights), prefix, weights);
  }
  if (!save_weights.empty()) save_safetensors(save_weights, state_dict(model.module()));
  model.module().eval();
  if (fold) {
    BEYOND_CHECK_USAGE(model.backbone, "--fold needs a backbone model");
    model.backbone->fold_norm();
  }
  if (channels_last) {
    BEYOND_CHECK_USAGE(model.backbone, "--channels-last needs a backbone model");
    model.backbone->set_channels_last(true);
  }
  TensorMap inputs = load_safetensors(args[1]);
  BEYOND_CHECK(inputs.count("images"), args[1], ": no tensor 'images'");
  torch::NoGradGuard no_grad;
  TensorMap out = model.run(inputs["images"]);
  if (repeat > 0) {
    double best = 1e30, total = 0;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      model.run(inputs["images"]);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, s);
      total += s;
    }
    std::printf("{\"best_s\": %.4f, \"mean_s\": %.4f, \"repeat\": %d, \"threads\": %d}\n", best, total / repeat,
                repeat, torch::get_num_threads());
  }
  save_safetensors(args[2], out);
  return 0;
} catch (const UsageError& e) {
  std::cerr << e.what() << "\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
