/// The C++ half of faster_rcnn_parity_test.py: beyond's whole GeneralizedRCNN, built from
/// configs/faster_rcnn_r50_fpn.yaml (as torchvision builds fasterrcnn_resnet50_fpn(weights=None): plain
/// BatchNorm, all stages trainable) with the script's --set overrides, on images the script wrote.
///
///   faster_rcnn_parity_driver IN.safetensors OUT.safetensors (--weights W | --train-save W)
///                             [--set key=value]... [--optimized]
///
/// --weights W: torchvision's state_dict, loaded unchanged (torchvision -> beyond).
/// --train-save W: seeded init with random norm statistics, one SGD step on random targets in training
///   mode (so the running statistics move too), then cls_score scaled by "cls_scale" so that random
///   weights give detections above the score threshold and the RPN's cls_logits by "rpn_scale" so that
///   objectness scores are not all ~0.5 (near ties reorder proposals); the state_dict is written to W.
/// --optimized: run a second time after optimize_for_inference() (folded norms, channels-last), through
///   the parts (one backbone pass) rather than model->forward.
///
/// IN: "images.<i>" float [3, H_i, W_i] in [0, 1]; optional "tv_proposals.<i>" (torchvision's RPN output,
/// in the resized images' frame); "seed", "lr", "cls_scale", "rpn_scale" for --train-save.
/// OUT, per run prefix ("plain." / "optimized."): "batch.images" (normalised, resized, padded),
/// "batch.image_sizes" [N, 2]; model->forward's "proposals.<i>" and "det.{boxes,scores,labels}.<i>"; on
/// tv_proposals: "head.class_logits", "head.box_regression" and "same_proposals.det.*.<i>" (detections of
/// the RoI heads on those proposals, mapped back onto the original images).
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/build_detector.h"
#include "randomise_norms.h"

namespace {

using beyond::TensorMap;
using beyond::models::GeneralizedRCNN;

std::vector<torch::Tensor> per_image(const TensorMap& m, const std::string& stem) {
  std::vector<torch::Tensor> out;
  for (int i = 0; m.count(stem + "." + std::to_string(i)); ++i) out.push_back(m.at(stem + "." + std::to_string(i)));
  return out;
}

void put_detections(TensorMap& out, const std::string& stem, const std::vector<beyond::Instances>& dets) {
  for (size_t i = 0; i < dets.size(); ++i) {
    const auto s = "." + std::to_string(i);
    out[stem + "boxes" + s] = dets[i].boxes().tensor().contiguous();
    out[stem + "scores" + s] = dets[i].scores().contiguous();
    out[stem + "labels" + s] = dets[i].labels().contiguous();
  }
}

/// Random ground truth on each original image: 3 boxes of 15..60% of the image's sides.
std::vector<beyond::Instances> random_targets(const std::vector<torch::Tensor>& images, int64_t num_classes) {
  std::vector<beyond::Instances> targets;
  for (const auto& image : images) {
    const auto h = static_cast<double>(image.size(1)), w = static_cast<double>(image.size(2));
    const auto scale = torch::tensor({w, h, w, h}, torch::kFloat32);
    const auto wh = torch::rand({3, 2}) * 0.45 + 0.15;
    const auto xy = torch::rand({3, 2}) * (1 - wh);
    beyond::Instances t(image.size(1), image.size(2));
    t.set_boxes(beyond::Boxes(torch::cat({xy, xy + wh}, 1) * scale));
    t.set_labels(torch::randint(1, num_classes, {3}, torch::kLong));
    targets.push_back(t);
  }
  return targets;
}

void train_and_save(GeneralizedRCNN& model, const std::vector<torch::Tensor>& images, const TensorMap& in,
                    const std::string& path) {
  beyond::parity::randomise_norms(*model);
  model->train();
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);  // the same weights on every run, whatever the machine's thread count
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(in.at("lr").item<double>()).momentum(0.9));
  const auto losses = model->forward(images, random_targets(images, model->num_classes()));
  const auto loss = beyond::models::GeneralizedRCNNImpl::total_loss(losses);
  BEYOND_CHECK(std::isfinite(loss.item<double>()), "faster_rcnn_parity_driver: training loss is ", loss.item<double>());
  sgd.zero_grad();
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model->parameters(), 10.0);
  sgd.step();
  torch::set_num_threads(threads);
  {
    torch::NoGradGuard no_grad;
    auto parameters = model->named_parameters();
    parameters["roi_heads.box_predictor.cls_score.weight"].mul_(in.at("cls_scale").item<double>());
    parameters["rpn.head.cls_logits.weight"].mul_(in.at("rpn_scale").item<double>());
  }
  beyond::save_safetensors(path, beyond::state_dict(*model));
}

/// One inference pass. end_to_end: proposals and detections from model->forward (the product path; one
/// more backbone pass when the heads also run on torchvision's proposals); otherwise from the parts
/// (transform, backbone, RPN, RoI heads, postprocess) with a single backbone pass.
void run(GeneralizedRCNN& model, const std::vector<torch::Tensor>& images, const TensorMap& in,
         const std::string& prefix, bool end_to_end, TensorMap& out) {
  torch::NoGradGuard no_grad;
  model->eval();
  if (end_to_end) {
    const auto result = model->forward(images);
    for (size_t i = 0; i < result.proposals.size(); ++i)
      out[prefix + "proposals." + std::to_string(i)] = result.proposals[i].contiguous();
    put_detections(out, prefix + "det.", result.detections);
  }

  const auto& transform = model->transform();
  const auto batch = transform.forward(images);
  const auto& sizes = batch.images.image_sizes();
  out[prefix + "batch.images"] = batch.images.tensor().contiguous();
  auto image_sizes = torch::empty({static_cast<int64_t>(sizes.size()), 2}, torch::kLong);
  for (size_t i = 0; i < sizes.size(); ++i)
    for (int k = 0; k < 2; ++k) image_sizes[static_cast<int64_t>(i)][k] = sizes[i][k];
  out[prefix + "batch.image_sizes"] = image_sizes;

  const auto tv_proposals = per_image(in, "tv_proposals");
  if (end_to_end && tv_proposals.empty()) return;
  const auto features = model->backbone().forward(batch.images.tensor());
  auto& heads = *model->roi_heads();
  if (!end_to_end) {
    const auto proposals = model->rpn()->forward(batch.images, features.values()).boxes;
    for (size_t i = 0; i < proposals.size(); ++i)
      out[prefix + "proposals." + std::to_string(i)] = proposals[i].contiguous();
    put_detections(out, prefix + "det.",
                   transform.postprocess(heads.forward(features, proposals, sizes).detections, sizes,
                                         batch.original_sizes));
  }
  if (tv_proposals.empty()) return;
  const auto [logits, deltas] = heads.predict(features, tv_proposals, sizes);
  out[prefix + "head.class_logits"] = logits.contiguous();
  out[prefix + "head.box_regression"] = deltas.contiguous();
  auto dets = heads.postprocess_detections(logits, deltas, tv_proposals, sizes);
  put_detections(out, prefix + "same_proposals.det.", transform.postprocess(dets, sizes, batch.original_sizes));
}

int main_impl(const std::vector<std::string>& args) {
  BEYOND_CHECK_USAGE(args.size() >= 4, "usage: faster_rcnn_parity_driver IN OUT (--weights W | --train-save W) "
                     "[--set key=value]... [--optimized]");
  // As it is, the config is torchvision's weights=None build: nn.BatchNorm2d, all 5 stages trainable.
  beyond::Config cfg = beyond::Config::builtin("faster_rcnn_r50_fpn");
  std::string weights, train_save;
  bool optimized = false;
  for (size_t i = 2; i < args.size(); ++i) {
    auto value = [&] {
      BEYOND_CHECK_USAGE(i + 1 < args.size(), args[i], " needs a value");
      return args[++i];
    };
    if (args[i] == "--weights") weights = value();
    else if (args[i] == "--train-save") train_save = value();
    else if (args[i] == "--set") cfg.set_assignment(value());
    else if (args[i] == "--optimized") optimized = true;
    else throw beyond::UsageError("unknown option " + args[i]);
  }
  BEYOND_CHECK_USAGE(weights.empty() != train_save.empty(), "give one of --weights and --train-save");
  const auto in = beyond::load_safetensors(args[0]);
  const auto images = per_image(in, "images");
  BEYOND_CHECK(!images.empty(), args[0], ": no tensors images.0, images.1, ...");

  if (!train_save.empty()) torch::manual_seed(in.at("seed").item<int64_t>());  // the initial weights too
  auto model = beyond::build_detector(cfg);
  if (!weights.empty())
    beyond::load_state_dict(*model, beyond::load_safetensors(weights), "", weights);
  else
    train_and_save(model, images, in, train_save);
  TensorMap out;
  run(model, images, in, "plain.", /*end_to_end=*/true, out);
  if (optimized) {
    model->optimize_for_inference();
    run(model, images, in, "optimized.", /*end_to_end=*/false, out);
  }
  beyond::save_safetensors(args[1], out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return main_impl(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const beyond::UsageError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "faster_rcnn_parity_driver: " << e.what() << "\n";
    return 1;
  }
}
