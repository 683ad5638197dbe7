// The C++ half of roi_heads_parity_test.py: loads torchvision's RoIHeads weights and the inputs the
// script wrote (safetensors), runs beyond's RoIHeads and writes every output the script compares.
//
//   roi_heads_parity_driver fpn|fast IN.safetensors OUT.safetensors
//
// fpn: fasterrcnn_resnet50_fpn's RoI heads (MultiScaleRoIAlign over "0".."3", 91 classes);
// fast: Fast R-CNN's (RoI max pooling 7x7 of one stride-16 map "0" with 512 channels, 21 classes).
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/models/detection/fast_rcnn_loss.h"
#include "beyond/models/detection/resize_boxes.h"
#include "beyond/models/detection/roi_heads.h"

namespace {

using beyond::TensorMap;
using namespace beyond::models;

const torch::Tensor& at(const TensorMap& m, const std::string& key) {
  const auto it = m.find(key);
  BEYOND_CHECK(it != m.end(), "roi_heads_parity_driver: the input has no tensor '", key, "'");
  return it->second;
}

std::vector<torch::Tensor> per_image(const TensorMap& m, const std::string& stem, int64_t n) {
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(at(m, stem + "." + std::to_string(i)));
  return out;
}

std::vector<std::array<int64_t, 2>> sizes(const torch::Tensor& t) {
  std::vector<std::array<int64_t, 2>> out;
  for (int64_t i = 0; i < t.size(0); ++i) out.push_back({t[i][0].item<int64_t>(), t[i][1].item<int64_t>()});
  return out;
}

void put_per_image(TensorMap& out, const std::string& stem, const std::vector<torch::Tensor>& v) {
  for (size_t i = 0; i < v.size(); ++i) out[stem + "." + std::to_string(i)] = v[i].contiguous();
}

int run(const std::string& mode, const std::string& in_path, const std::string& out_path) {
  const auto in = beyond::load_safetensors(in_path);
  RoIHeadsOptions options;
  if (mode == "fast")
    options.num_classes(21).in_channels(512).pooler(
        BoxPoolerOptions().type(BoxPoolerType::kRoIPool).featmap_names({"0"}).spatial_scale(1.0 / 16));
  else
    BEYOND_CHECK(mode == "fpn", "roi_heads_parity_driver: mode must be fpn or fast, got '", mode, "'");
  RoIHeads heads(options);
  beyond::load_state_dict(*heads, in, "roi_heads.", in_path);

  FeatureMaps features;
  for (const auto& [name, t] : in)
    if (name.rfind("features.", 0) == 0) features.insert(name.substr(9), t);
  const auto image_sizes = sizes(at(in, "image_sizes"));
  const auto original_sizes = sizes(at(in, "original_sizes"));
  const auto n = static_cast<int64_t>(image_sizes.size());
  const auto proposals = per_image(in, "proposals", n);
  TensorMap out;

  // Eval mode: raw head outputs, detections, detections on the original images.
  heads->eval();
  {
    torch::NoGradGuard no_grad;
    const auto [logits, deltas] = heads->predict(features, proposals, image_sizes);
    out["class_logits"] = logits;
    out["box_regression"] = deltas;
    auto detections = heads->forward(features, proposals, image_sizes).detections;
    for (int64_t i = 0; i < n; ++i) {
      const auto& d = detections[i];
      const auto s = std::to_string(i);
      out["det.boxes." + s] = d.boxes().tensor();
      out["det.scores." + s] = d.scores();
      out["det.labels." + s] = d.labels();
    }
    resize_detections(detections, original_sizes);
    for (int64_t i = 0; i < n; ++i) out["det_original.boxes." + std::to_string(i)] = detections[i].boxes().tensor();
  }

  // Training mode: the seeded sampling and full loss, then the loss and gradients on fixed samples.
  heads->train();
  std::vector<beyond::Instances> targets;
  for (int64_t i = 0; i < n; ++i) {
    beyond::Instances t(image_sizes[i][0], image_sizes[i][1]);
    t.set_boxes(beyond::Boxes(at(in, "gt_boxes." + std::to_string(i))));
    t.set_labels(at(in, "gt_labels." + std::to_string(i)));
    targets.push_back(t);
  }
  const auto seed = at(in, "seed").item<int64_t>();
  torch::manual_seed(seed);
  const auto samples = heads->select_training_samples(proposals, targets);
  put_per_image(out, "samples.proposals", samples.proposals);
  put_per_image(out, "samples.labels", samples.labels);
  put_per_image(out, "samples.matched_idxs", samples.matched_idxs);
  put_per_image(out, "samples.regression_targets", samples.regression_targets);
  torch::manual_seed(seed);
  const auto losses = heads->forward(features, proposals, image_sizes, targets).losses;
  out["train.loss_classifier"] = losses.at("loss_classifier").detach();
  out["train.loss_box_reg"] = losses.at("loss_box_reg").detach();

  const auto fixed = per_image(in, "fixed.proposals", n);
  const auto [logits, deltas] = heads->predict(features, fixed, image_sizes);
  const auto fixed_losses = fast_rcnn_loss(logits, deltas, torch::cat(per_image(in, "fixed.labels", n)),
                                           torch::cat(per_image(in, "fixed.regression_targets", n)));
  out["fixed.loss_classifier"] = fixed_losses.classifier.detach();
  out["fixed.loss_box_reg"] = fixed_losses.box_reg.detach();
  heads->zero_grad();
  (fixed_losses.classifier + fixed_losses.box_reg).backward();
  for (const auto& p : heads->named_parameters()) out["grad." + p.key()] = p.value().grad();

  beyond::save_safetensors(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: roi_heads_parity_driver fpn|fast IN.safetensors OUT.safetensors\n";
    return 2;
  }
  try {
    return run(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::cerr << "roi_heads_parity_driver: " << e.what() << "\n";
    return 1;
  }
}
