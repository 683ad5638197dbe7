#pragma once
/// The R-CNN meta-architecture in which Fast R-CNN and Faster R-CNN are two configurations:
///
///   images -> DetectionTransform (float RGB, normalise, resize, pad to 32) -> backbone (named maps)
///          -> proposals: the RPN's, or external ones given per image (Selective Search for Fast R-CNN)
///          -> RoIHeads (pool, two-FC head, class scores + class-specific deltas)
///          -> detections mapped back onto the original images.
///
/// Submodule names are torchvision's (backbone, rpn, roi_heads), so a torchvision
/// `fasterrcnn_resnet50_fpn` state_dict loads as it is and ours loads into torchvision.
///
///   auto model = beyond::build_detector(cfg);  // tasks/build_detector.h; or GeneralizedRCNN(backbone, rpn, heads, t)
///   model->eval();
///   auto out = model->forward({image});                         // out.detections[0]: boxes, scores, labels
///   model->train();
///   auto losses = model->forward(images, targets).losses;       // loss_objectness, ..., loss_box_reg
///   auto fast = fast_rcnn->forward(images, targets, proposals); // external proposals, no RPN
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "beyond/models/backbones/backbone.h"
#include "beyond/models/detection/detection_transform.h"
#include "beyond/models/detection/roi_heads.h"
#include "beyond/models/detection/rpn.h"
#include "beyond/structures/instances.h"

namespace beyond::models {

struct DetectionOutput {
  /// Eval mode: per image, boxes on the original image, scores, labels (1..K).
  std::vector<Instances> detections;
  /// Training mode: the RPN's and the RoI heads' losses by torchvision's names.
  std::map<std::string, torch::Tensor> losses;
  /// The proposals the RoI heads saw, in the resized images' frame (for inspection and tests).
  std::vector<torch::Tensor> proposals;
};

class GeneralizedRCNNImpl : public torch::nn::Module {
 public:
  /// `rpn` may be empty (nullptr): the model then needs external proposals in forward().
  GeneralizedRCNNImpl(std::shared_ptr<Backbone> backbone, RegionProposalNetwork rpn, RoIHeads roi_heads,
                      DetectionTransformOptions transform = {});

  /// images: [C, H, W] each (see DetectionTransform::forward for what is accepted). targets: needed
  /// in training, per image "boxes" [G, 4] on the original image and "labels" int64 [G] (G may be 0).
  /// proposals: per image [K, 4] boxes on the original image; required without an RPN, ignored with one.
  /// `generator` draws the training scale per image (torch's default generator if none).
  DetectionOutput forward(const std::vector<torch::Tensor>& images, const std::vector<Instances>& targets = {},
                          const std::vector<torch::Tensor>& proposals = {},
                          std::optional<at::Generator> generator = std::nullopt);

  /// Sum of the losses of a training forward.
  static torch::Tensor total_loss(const DetectionOutput& out);

  /// Inference speed-ups that change no result beyond float rounding: frozen and eval-mode norms
  /// folded into the convolutions, channels-last convolutions.
  void optimize_for_inference(bool channels_last = true);

  Backbone& backbone() { return *backbone_; }
  bool has_rpn() const { return !rpn_.is_empty(); }
  RegionProposalNetwork& rpn() { return rpn_; }
  RoIHeads& roi_heads() { return roi_heads_; }
  const DetectionTransform& transform() const { return transform_; }
  /// Object classes + background.
  int64_t num_classes() const { return roi_heads_->options.num_classes(); }

 private:
  std::shared_ptr<Backbone> backbone_;
  RegionProposalNetwork rpn_{nullptr};
  RoIHeads roi_heads_{nullptr};
  DetectionTransform transform_;
};

TORCH_MODULE(GeneralizedRCNN);

}  // namespace beyond::models
