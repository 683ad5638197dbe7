/// Runs a whole beyond detector (GeneralizedRCNN from a builtin config) on saved images, timing each
/// stage, and optionally a training iteration; the C++ half of bench/detector_vs_torchvision.py.
///
///   detector_inference CONFIG IMAGES.safetensors WEIGHTS.safetensors OUT.safetensors
///                      [--repeat N] [--threads T] [--optimize] [--train TARGETS.safetensors] [--train-repeat N]
///                      [--train-only] [--set KEY=VALUE ...]
///
/// IMAGES holds "image.<i>" float [3, H, W] in [0, 1]; TARGETS "boxes.<i>" and "labels.<i>". OUT gets
/// "boxes.<i>", "scores.<i>", "labels.<i>" of the last inference. The last stdout line is JSON: best and
/// mean seconds of an inference, the per-stage means (transform, backbone, rpn, roi_heads, postprocess)
/// and, with --train, best and mean seconds of one training iteration (forward, backward, SGD step).
/// The process keeps freed memory as the `beyond` CLI does (core/allocator.h). --set changes the builtin config (e.g. model.norm=frozen for the fine-tuning set-up); --train-only
/// skips the inference.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "beyond/core/allocator.h"
#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/core/threads.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/build_detector.h"

using namespace beyond;
using namespace beyond::models;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<torch::Tensor> numbered(const TensorMap& m, const std::string& prefix) {
  std::vector<torch::Tensor> out;
  for (size_t i = 0;; ++i) {
    const auto it = m.find(prefix + std::to_string(i));
    if (it == m.end()) return out;
    out.push_back(it->second);
  }
}

/// One inference with every stage timed (the stages of GeneralizedRCNN::forward, called one by one).
std::vector<Instances> timed_inference(GeneralizedRCNN& model, const std::vector<torch::Tensor>& images,
                                       std::map<std::string, double>& stage) {
  auto t = Clock::now();
  auto batch = model->transform().forward(images);
  stage["transform"] += seconds_since(t);
  t = Clock::now();
  const auto features = model->backbone().forward(batch.images.tensor());
  stage["backbone"] += seconds_since(t);
  t = Clock::now();
  const auto proposals = model->rpn()->forward(batch.images, features.values()).boxes;
  stage["rpn"] += seconds_since(t);
  t = Clock::now();
  auto raw = model->roi_heads()->forward(features, proposals, batch.images.image_sizes()).detections;
  stage["roi_heads"] += seconds_since(t);
  t = Clock::now();
  auto out = model->transform().postprocess(std::move(raw), batch.images.image_sizes(), batch.original_sizes);
  stage["postprocess"] += seconds_since(t);
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  BEYOND_CHECK_USAGE(argc >= 5, "usage: detector_inference CONFIG IMAGES WEIGHTS OUT [--repeat N] [--threads T] "
                                "[--optimize] [--train TARGETS] [--train-repeat N]");
  int repeat = 3, threads = 2, train_repeat = 3;
  bool optimize = false, train_only = false;
  std::string train_file;
  std::vector<std::string> assignments;
  for (int i = 5; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat") repeat = std::stoi(argv[++i]);
    else if (a == "--threads") threads = std::stoi(argv[++i]);
    else if (a == "--optimize") optimize = true;
    else if (a == "--train") train_file = argv[++i];
    else if (a == "--train-repeat") train_repeat = std::stoi(argv[++i]);
    else if (a == "--train-only") train_only = true;
    else if (a == "--set") assignments.push_back(argv[++i]);
    else throw UsageError("unknown option " + a);
  }
  configure_threads(threads);
  keep_freed_memory_in_process();  // as the CLI does
  auto cfg = Config::builtin(argv[1]);
  for (const auto& a : assignments) cfg.set_assignment(a);
  auto model = build_detector(cfg);
  load_state_dict(*model, load_safetensors(argv[3]), "", argv[3]);
  const auto images = numbered(load_safetensors(argv[2]), "image.");
  BEYOND_CHECK(!images.empty(), argv[2], " has no image.0");

  std::ostringstream json;
  json.precision(5);
  json << "{";
  if (!train_file.empty()) {  // before optimize_for_inference, which folds the norms
    const auto t = load_safetensors(train_file);
    const auto boxes = numbered(t, "boxes."), labels = numbered(t, "labels.");
    std::vector<Instances> targets;
    for (size_t i = 0; i < images.size(); ++i) {
      Instances inst(images[i].size(1), images[i].size(2));
      inst.set_boxes(Boxes(boxes.at(i)));
      inst.set_labels(labels.at(i));
      targets.push_back(inst);
    }
    model->train();
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(1e-5).momentum(0.9));
    std::vector<double> times;
    for (int r = 0; r <= train_repeat; ++r) {
      const auto t0 = Clock::now();
      const auto loss = GeneralizedRCNNImpl::total_loss(model->forward(images, targets));
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      if (r > 0) times.push_back(seconds_since(t0));  // r = 0 is the warm-up
    }
    double mean = 0;
    for (double s : times) mean += s / times.size();
    json << "\"train_best_s\": " << *std::min_element(times.begin(), times.end()) << ", \"train_mean_s\": " << mean;
    if (train_only) {
      std::cout << json.str() << "}" << std::endl;
      return 0;
    }
    json << ", ";
    load_state_dict(*model, load_safetensors(argv[3]), "", argv[3]);  // the inference uses the given weights
  }
  model->eval();
  if (optimize) model->optimize_for_inference(true);
  torch::NoGradGuard no_grad;
  std::map<std::string, double> stage, ignored;
  std::vector<Instances> dets = timed_inference(model, images, ignored);  // warm-up
  std::vector<double> times;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = Clock::now();
    dets = timed_inference(model, images, stage);
    times.push_back(seconds_since(t0));
  }
  TensorMap out;
  for (size_t i = 0; i < dets.size(); ++i) {
    out["boxes." + std::to_string(i)] = dets[i].boxes().tensor().contiguous();
    out["scores." + std::to_string(i)] = dets[i].scores().contiguous();
    out["labels." + std::to_string(i)] = dets[i].labels().contiguous();
  }
  save_safetensors(argv[4], out);
  double mean = 0;
  for (double s : times) mean += s / times.size();
  json << "\"best_s\": " << *std::min_element(times.begin(), times.end()) << ", \"mean_s\": " << mean
       << ", \"stages\": {";
  bool first = true;
  for (const auto& [name, s] : stage) {
    json << (first ? "" : ", ") << "\"" << name << "\": " << s / repeat;
    first = false;
  }
  json << "}}";
  std::cout << json.str() << std::endl;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "detector_inference: " << e.what() << "\n";
  return 1;
}
