// FCN-8s inference and training throughput in beyond: the network of models/segmentation/fcn.h built
// from a config's `model:` section (configs/fcn8s_small.yaml, configs/fcn8s_vgg16.yaml) exactly as
// `beyond train` / `beyond segment` build it (tasks/segmenter.h), the training step of
// tasks/segmentation_task.cpp (forward, pixel-wise cross-entropy, backward, our fused Adam) and the CLI's
// thread and allocator settings. bench/fcn_throughput.py runs this and the same network in PyTorch
// Python side by side, on the same weights.
//
//   fcn_throughput --mode check --config fcn8s_small --classes 12 --weights w.safetensors --out check.safetensors
//       random weights (score layers, norms and the learnable upsamplings too, so nothing is trivially
//       zero) saved to --weights as "model.<name>"; --out gets an input, labels, the eval-mode logits and
//       gradients, and the train-mode (dropout off) logits and gradients: what the Python mirror must
//       reproduce. Prints the architecture as one JSON line.
//   fcn_throughput --mode infer|train --config fcn8s_small --classes 12 --weights check.safetensors
//       --batch 1 --height 375 --width 500 --steps 20 --warmup 3 --threads 1 [--profile 1] [--optimize 1]
//       prints one JSON line: {"images_per_s": ..., "step_s": ..., "phases": {...}}. With --profile, the
//       time per step split into phases (inference: backbone convolutions, BatchNorm, ReLU, pooling,
//       fc6 / fc7, score layers, upsampling, crop + add; training: the same for the forward, then loss,
//       backward, optimizer).
//       --optimize 1 (inference): Fcn::optimize_for_inference() (norms folded, channels-last);
//       --channels-last 1: Fcn::set_channels_last(true) only (also for training).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "beyond/core/allocator.h"
#include "beyond/core/safetensors.h"
#include "beyond/core/threads.h"
#include "beyond/engine/config.h"
#include "beyond/engine/fused_adam.h"
#include "beyond/losses/pixel_cross_entropy.h"
#include "beyond/models/segmentation/fcn.h"
#include "beyond/tasks/segmenter.h"

namespace {

using beyond::models::Fcn;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string mode = "infer";  // check | infer | train
  std::string config = "fcn8s_small";
  int64_t classes = 12;
  std::string weights, out;
  int64_t batch = 1, height = 375, width = 500;
  int64_t steps = 10, warmup = 2;
  int threads = 1;
  bool keep_memory = true;  // as the CLI does (core/allocator.h)
  bool profile = false;
  bool optimize = false;
  bool channels_last = false;
  double lr = 1e-4;
  uint64_t seed = 0;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--mode") a.mode = v;
    else if (k == "--config") a.config = v;
    else if (k == "--classes") a.classes = std::stoll(v);
    else if (k == "--weights") a.weights = v;
    else if (k == "--out") a.out = v;
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--height") a.height = std::stoll(v);
    else if (k == "--width") a.width = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--keep-memory") a.keep_memory = v != "0";
    else if (k == "--profile") a.profile = v != "0";
    else if (k == "--optimize") a.optimize = v != "0";
    else if (k == "--channels-last") a.channels_last = v != "0";
    else if (k == "--lr") a.lr = std::stod(v);
    else if (k == "--seed") a.seed = std::stoull(v);
    else throw std::runtime_error("unknown argument " + k);
  }
  if (a.mode != "check" && a.mode != "infer" && a.mode != "train") throw std::runtime_error("--mode check|infer|train");
  return a;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename T>
std::shared_ptr<T> child(Fcn& model, const std::string& name) {
  const auto modules = model->named_modules();
  return modules.contains(name) ? std::dynamic_pointer_cast<T>(modules[name]) : nullptr;
}

/// Every parameter and running statistic set to something nonzero and non-trivial: the score layers
/// start at zero and the upsamplings at bilinear, which would hide mistakes in the mirror.
void randomize(Fcn& model) {
  torch::NoGradGuard no_grad;
  for (const auto& item : model->named_modules()) {
    if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(item.value())) {
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0, 0.1);
      bn->running_mean.normal_(0, 0.1);
      bn->running_var.uniform_(0.5, 1.5);
    } else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(item.value())) {
      if (item.key().find("score") != std::string::npos)
        conv->weight.normal_(0, 1.0 / std::sqrt(static_cast<double>(conv->weight[0].numel())));
      conv->bias.normal_(0, 0.05);
    } else if (auto up = std::dynamic_pointer_cast<beyond::models::BilinearUpsampleImpl>(item.value())) {
      if (up->options.learnable()) up->weight.add_(torch::randn_like(up->weight) * 0.02);
    }
  }
}

/// Gradients of more values are saved subsampled (every k-th value of the flattened gradient, k =
/// ceil(numel / kMaxSaved)); fcn_throughput.py compares them the same way.
constexpr int64_t kMaxSaved = 1 << 22;

/// Logits and parameter gradients of one forward + loss + backward, saved as "<prefix>logits",
/// "<prefix>loss" and "<prefix>grad.<name>".
void record_pass(Fcn& model, const torch::Tensor& input, const torch::Tensor& labels, const std::string& prefix,
                 beyond::TensorMap& out) {
  model->zero_grad();
  const auto logits = model->forward(input);
  const auto loss = beyond::losses::pixel_cross_entropy(logits, labels);
  loss.backward();
  out[prefix + "logits"] = logits.detach().contiguous();
  out[prefix + "loss"] = loss.detach();
  for (const auto& p : model->named_parameters()) {
    const auto& g = p.value().grad();
    if (!g.defined()) continue;
    // VGG-16's fc6 / fc7 gradients (119M values) would make the file huge: every k-th value instead.
    const int64_t k = (g.numel() + kMaxSaved - 1) / kMaxSaved;
    out[prefix + "grad." + p.key()] = k > 1 ? g.flatten().slice(0, 0, g.numel(), k).clone() : g.clone();
  }
}

void check(const Args& a, Fcn& model, const beyond::models::FcnOptions& o) {
  randomize(model);
  beyond::TensorMap weights, out;
  for (const auto& [name, t] : beyond::state_dict(*model)) weights["model." + name] = t.clone();
  beyond::save_safetensors(a.weights, weights);
  const auto input = torch::randn({a.batch, 3, a.height, a.width});
  auto labels = torch::randint(0, a.classes, {a.batch, a.height, a.width}, torch::kInt64);
  labels.masked_fill_(torch::rand({a.batch, a.height, a.width}) < 0.1, 255);  // some ignored pixels
  out["input"] = input;
  out["labels"] = labels;
  model->eval();
  record_pass(model, input, labels, "eval.", out);
  // Train mode: BatchNorm on batch statistics; dropout off so that both sides draw nothing at random.
  for (const auto& item : model->named_modules())
    if (auto drop = std::dynamic_pointer_cast<torch::nn::DropoutImpl>(item.value())) drop->options.p(0);
  model->train();
  record_pass(model, input, labels, "train.", out);
  beyond::save_safetensors(a.out, out);
  const auto& v = o.vgg();
  auto list = [](const std::vector<int64_t>& xs) {
    std::string s = "[";
    for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + std::to_string(xs[i]);
    return s + "]";
  };
  std::printf("{\"num_classes\": %lld, \"skips\": %d, \"learn_final_upsampling\": %s, \"widths\": %s, \"convs\": %s, "
              "\"batch_norm\": %s, \"fc_channels\": %lld, \"fc6_kernel\": %lld, \"dropout\": %g}\n",
              static_cast<long long>(o.num_classes()), o.skips(), o.learn_final_upsampling() ? "true" : "false",
              list(v.widths()).c_str(), list(v.convs()).c_str(), v.batch_norm() ? "true" : "false",
              static_cast<long long>(v.fc_channels()), static_cast<long long>(v.fc6_kernel()), v.dropout());
}

/// FcnImpl::forward step by step, with the time of each kind of layer added to `phases` (seconds).
torch::Tensor profiled_forward(Fcn& model, const torch::Tensor& images, std::map<std::string, double>& phases) {
  using namespace beyond::models;
  auto timed = [&](const char* phase, auto&& fn) {
    const auto t0 = Clock::now();
    auto y = fn();
    phases[phase] += seconds_since(t0);
    return y;
  };
  auto features = child<torch::nn::SequentialImpl>(model, "backbone.features");
  if (!features) throw std::runtime_error("--profile needs the VGG backbone");
  torch::Tensor x = images;
  if (model->channels_last()) x = timed("layout", [&] { return x.contiguous(torch::MemoryFormat::ChannelsLast); });
  std::array<torch::Tensor, 3> maps;
  int pools = 0;
  for (auto& m : *features) {
    const auto ptr = m.ptr();
    const char* phase = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(ptr)        ? "conv"
                        : std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(ptr) ? "batchnorm"
                        : std::dynamic_pointer_cast<torch::nn::ReLUImpl>(ptr)        ? "relu"
                        : std::dynamic_pointer_cast<torch::nn::MaxPool2dImpl>(ptr)   ? "pool"
                                                                                       : "other";
    // As FcnVggBodyImpl::forward: without gradients, NCHW pooling takes detail::max_pool_2x2_ceil.
    const bool fast_pool = phase == std::string("pool") && !torch::GradMode::is_enabled() && x.is_contiguous();
    x = timed(phase, [&] { return fast_pool ? beyond::models::detail::max_pool_2x2_ceil(x) : m.forward(x); });
    if (phase == std::string("pool") && ++pools >= 3 && pools <= 4) maps[pools - 3] = x;
  }
  const auto fc6 = child<torch::nn::Conv2dImpl>(model, "backbone.fc6");
  const auto fc7 = child<torch::nn::Conv2dImpl>(model, "backbone.fc7");
  const auto drop6 = child<torch::nn::DropoutImpl>(model, "backbone.drop6");
  const auto drop7 = child<torch::nn::DropoutImpl>(model, "backbone.drop7");
  const bool gemm = child<FcnVggBodyImpl>(model, "backbone")->gemm_fc6() != nullptr;  // as FcnVggBodyImpl::forward
  x = timed("fc6/fc7", [&] {
    return drop6->forward(torch::relu(gemm ? beyond::models::detail::conv2d_as_gemm(x, fc6->weight, fc6->bias) : fc6->forward(x)));
  });
  maps[2] = timed("fc6/fc7", [&] { return drop7->forward(torch::relu(fc7->forward(x))); });
  auto score = [&](const char* name, const torch::Tensor& in) {
    auto conv = child<torch::nn::Conv2dImpl>(model, name);
    return timed("score", [&] { return conv->forward(in); });
  };
  // Upsamples `scores` with layer `name` and crops the result to `height` x `width` on grid `to`.
  auto up = [&](const char* name, const torch::Tensor& in, const GridGeometry& from, const GridGeometry& to,
                int64_t height, int64_t width) {
    auto layer = child<BilinearUpsampleImpl>(model, name);
    const auto big = timed("upsample", [&] { return layer->forward(in); });
    const auto offset = alignment_offset(from, to, layer->kernel_size());
    return timed("crop+add", [&] { return crop_spatial(big, offset, height, width); });
  };
  auto scores = score("score_fr", maps[2]);
  int64_t stride = 32;
  const int skips = model->options.skips();
  for (int s = 1; s <= skips; ++s) {
    const auto fine = score(s == 1 ? "score_pool4" : "score_pool3", maps[2 - s]);
    const auto cropped = up(s == 1 ? "upscore2" : "upscore_pool4", scores, model->geometry(stride),
                            model->geometry(stride / 2), fine.size(2), fine.size(3));
    scores = timed("crop+add", [&] { return cropped + fine; });
    stride /= 2;
  }
  return up("upscore", scores, model->geometry(stride), {1, 0}, images.size(2), images.size(3));
}

std::string phases_json(const std::map<std::string, double>& phases, int64_t steps) {
  std::string s = "{";
  for (const auto& [k, v] : phases) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%s\"%s\": %.6f", s.size() > 1 ? ", " : "", k.c_str(), v / steps);
    s += buf;
  }
  return s + "}";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace beyond;
  const Args a = parse(argc, argv);
  configure_threads(a.threads);  // as the CLI does
  if (a.keep_memory) keep_freed_memory_in_process();
  torch::manual_seed(static_cast<int64_t>(a.seed));
  const Config cfg = std::filesystem::exists(a.config) ? Config::from_file(a.config) : Config::builtin(a.config);
  const auto options = fcn_options(cfg, a.classes);
  Fcn model(options);
  if (a.mode == "check") {
    check(a, model, options);
    return 0;
  }
  if (!a.weights.empty()) load_state_dict(*model, load_safetensors(a.weights), "model.", a.weights);
  if (a.channels_last) model->set_channels_last(true);
  const int64_t classes = options.num_classes();
  const auto images = torch::randn({a.batch, 3, a.height, a.width});
  std::map<std::string, double> phases;
  std::function<void()> step;
  std::unique_ptr<FusedAdam> opt;
  torch::Tensor labels;
  if (a.mode == "infer") {
    model->eval();
    if (a.optimize) model->optimize_for_inference();
    step = [&] {
      torch::NoGradGuard no_grad;
      const auto logits = a.profile ? profiled_forward(model, images, phases) : model->forward(images);
      if (logits.size(1) != classes) throw std::runtime_error("wrong logits");
    };
  } else {
    model->train();
    opt = std::make_unique<FusedAdam>(model->parameters(), torch::optim::AdamOptions(a.lr));  // as engine/optimizer.cpp
    labels = torch::randint(0, classes, {a.batch, a.height, a.width}, torch::kInt64);
    step = [&] {
      auto t0 = Clock::now();
      std::map<std::string, double> forward;  // the forward's layers, as "forward: <phase>"
      const auto logits = a.profile ? profiled_forward(model, images, forward) : model->forward(images);
      for (const auto& [k, v] : forward) phases["forward: " + k] += v;
      if (a.profile) t0 = Clock::now();
      const auto loss = losses::pixel_cross_entropy(logits, labels);
      if (a.profile) phases["loss"] += seconds_since(t0), t0 = Clock::now();
      opt->zero_grad();
      loss.backward();
      if (a.profile) phases["backward"] += seconds_since(t0), t0 = Clock::now();
      opt->step();
      if (a.profile) phases["optimizer"] += seconds_since(t0);
      if (!std::isfinite(loss.item<double>())) throw std::runtime_error("non-finite loss");
    };
  }
  for (int64_t i = 0; i < a.warmup; ++i) step();
  phases.clear();
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < a.steps; ++i) step();
  const double secs = seconds_since(t0);
  std::printf("{\"impl\": \"beyond\", \"mode\": \"%s\", \"batch\": %lld, \"height\": %lld, \"width\": %lld, "
              "\"threads\": %d, \"optimize\": %s, \"step_s\": %.5f, \"images_per_s\": %.3f, \"phases\": %s}\n",
              a.mode.c_str(), static_cast<long long>(a.batch), static_cast<long long>(a.height),
              static_cast<long long>(a.width), a.threads, a.optimize ? "true" : "false", secs / a.steps,
              static_cast<double>(a.steps * a.batch) / secs, phases_json(phases, a.steps).c_str());
  return 0;
}
