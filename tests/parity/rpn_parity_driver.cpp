/// Runs beyond's RegionProposalNetwork (fasterrcnn_resnet50_fpn defaults) on inputs exported by
/// rpn_parity_test.py and writes what it computes, for that script to compare with torchvision.
///
///   rpn_parity_driver IN.safetensors OUT.safetensors
///
/// IN: "rpn.head.*" (torchvision's state_dict names), "features.<l>" [N, 256, H_l, W_l], "batch_size"
/// (padded H, W), "image_sizes" [N, 2], "targets.<i>" [M_i, 4], "seed" (torch.manual_seed before the
/// training pass). OUT: "eval.boxes.<i>", "eval.scores.<i>", "train.boxes.<i>", "train.labels.<i>",
/// "train.loss_objectness", "train.loss_rpn_box_reg", "train.grad.<parameter>".
#include <torch/torch.h>

#include <exception>
#include <iostream>
#include <string>

#include "beyond/core/safetensors.h"
#include "beyond/models/detection/rpn.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: rpn_parity_driver IN.safetensors OUT.safetensors\n";
    return 2;
  }
  try {
    const auto in = beyond::load_safetensors(argv[1]);
    beyond::models::RegionProposalNetwork rpn;
    beyond::load_state_dict(*rpn, in, "rpn.", argv[1]);

    std::vector<torch::Tensor> features;
    for (int l = 0; in.count("features." + std::to_string(l)); ++l) features.push_back(in.at("features." + std::to_string(l)));
    const auto batch = in.at("batch_size"), sizes = in.at("image_sizes");
    const auto n = sizes.size(0);
    std::vector<std::array<int64_t, 2>> image_sizes;
    std::vector<torch::Tensor> targets;
    for (int64_t i = 0; i < n; ++i) {
      image_sizes.push_back({sizes[i][0].item<int64_t>(), sizes[i][1].item<int64_t>()});
      targets.push_back(in.at("targets." + std::to_string(i)));
    }
    const beyond::ImageList images(torch::zeros({n, 3, batch[0].item<int64_t>(), batch[1].item<int64_t>()}),
                                   image_sizes);

    beyond::TensorMap out;
    rpn->eval();
    {
      torch::NoGradGuard no_grad;
      const auto r = rpn->forward(images, features);
      for (int64_t i = 0; i < n; ++i) {
        out["eval.boxes." + std::to_string(i)] = r.boxes[i];
        out["eval.scores." + std::to_string(i)] = r.scores[i];
      }
    }
    rpn->train();
    torch::manual_seed(in.at("seed").item<int64_t>());
    const auto r = rpn->forward(images, features, targets);
    const auto [anchors, per_level] = rpn->anchors(images, features);
    const auto labels = rpn->assign_targets(anchors, targets).first;
    for (int64_t i = 0; i < n; ++i) {
      out["train.boxes." + std::to_string(i)] = r.boxes[i];
      out["train.labels." + std::to_string(i)] = labels[i];
    }
    for (const auto& [name, loss] : r.losses) out["train." + name] = loss.detach();
    (r.losses.at("loss_objectness") + r.losses.at("loss_rpn_box_reg")).backward();
    for (const auto& p : rpn->named_parameters()) out["train.grad." + p.key()] = p.value().grad();
    beyond::save_safetensors(argv[2], out);
  } catch (const std::exception& e) {
    std::cerr << "rpn_parity_driver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
