#pragma once
/// The box branch of Fast / Faster R-CNN after the proposals (torchvision's RoIHeads): pool a
/// fixed-size feature for every proposal, run the two-FC box head and the predictor (class scores +
/// class-specific box deltas); in training, match proposals to the ground truth, sample them and return
/// the multi-task loss; at test time, decode, clip, threshold and suppress per class.
///
/// Defaults are those of torchvision's `fasterrcnn_resnet50_fpn` (FPN levels "0".."3", RoI Align 7x7,
/// sampling ratio 2, 256 channels, 1024-d head, 91 classes, IoU 0.5 / 0.5, 512 RoIs per image with 25%
/// positives, box coder weights (10, 10, 5, 5), score > 0.05, NMS 0.5, 100 detections per image).
/// Parameter names are torchvision's (`box_head.fc6`, `box_predictor.cls_score`, ...), so the
/// `roi_heads.*` part of a torchvision state_dict loads into it.
///
///   beyond::models::RoIHeads heads(beyond::models::RoIHeadsOptions().num_classes(11));
///   heads->train();
///   auto out = heads->forward(features, proposals, image_sizes, targets);   // out.losses
///   heads->eval();
///   auto det = heads->forward(features, proposals, image_sizes).detections;  // Instances per image
///
/// Fast R-CNN on a VGG-16 conv5 map is the same module with
/// `.pooler(BoxPoolerOptions().type(BoxPoolerType::kRoIPool).featmap_names({"0"}).spatial_scale(1.0 / 16))`
/// and in_channels 512.
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "beyond/models/detection/balanced_sampler.h"
#include "beyond/models/detection/box_head.h"
#include "beyond/models/detection/box_pooler.h"
#include "beyond/models/detection/box_predictor.h"
#include "beyond/models/detection/matcher.h"
#include "beyond/structures/instances.h"

namespace beyond::models {

struct RoIHeadsOptions {
  /// Object classes + 1 (class 0 is the background).
  TORCH_ARG(int64_t, num_classes) = 91;
  /// Channels of the pooled feature maps.
  TORCH_ARG(int64_t, in_channels) = 256;
  /// Width of the box head's fc6 / fc7.
  TORCH_ARG(int64_t, representation_size) = 1024;
  TORCH_ARG(BoxPoolerOptions, pooler) = BoxPoolerOptions();
  /// A proposal whose best IoU with the ground truth is >= fg_iou_thresh is a positive of that box's class.
  TORCH_ARG(double, fg_iou_thresh) = 0.5;
  /// Below bg_iou_thresh it is background; in between it is ignored.
  TORCH_ARG(double, bg_iou_thresh) = 0.5;
  /// Sampled RoIs per image in training and the most of them that may be positive.
  TORCH_ARG(int64_t, batch_size_per_image) = 512;
  TORCH_ARG(double, positive_fraction) = 0.25;
  /// Box coder weights (wx, wy, ww, wh) of the regression targets and of decoding.
  TORCH_ARG(std::vector<double>, bbox_reg_weights) = std::vector<double>{10.0, 10.0, 5.0, 5.0};
  /// Clamp of the decoded dw, dh before exp (torchvision: log(1000 / 16)).
  TORCH_ARG(double, bbox_xform_clip) = std::log(1000.0 / 16);
  /// Smooth-L1 beta of the box loss (torchvision's RoI heads: 1/9).
  TORCH_ARG(double, smooth_l1_beta) = 1.0 / 9;
  /// Test time: class probabilities must exceed score_thresh...
  TORCH_ARG(double, score_thresh) = 0.05;
  /// ... boxes narrower or lower than min_box_size pixels are dropped...
  TORCH_ARG(double, min_box_size) = 1e-2;
  /// ... NMS per class at this IoU...
  TORCH_ARG(double, nms_thresh) = 0.5;
  /// ... and the best detections_per_img are kept.
  TORCH_ARG(int64_t, detections_per_img) = 100;
};

/// The proposals chosen for the loss in training, image by image (after the ground truth is added).
struct RoISamples {
  std::vector<torch::Tensor> proposals;           ///< [S_i, 4]
  std::vector<torch::Tensor> matched_idxs;        ///< int64 [S_i]: matched ground-truth index (0 for background)
  std::vector<torch::Tensor> labels;              ///< int64 [S_i]: class, 0 for background
  std::vector<torch::Tensor> regression_targets;  ///< [S_i, 4]: deltas onto the matched ground truth
};

struct RoIHeadsOutput {
  /// Eval mode: per image, boxes (in the coordinates of image_sizes), scores and labels; empty in training.
  std::vector<Instances> detections;
  /// Training: "loss_classifier" and "loss_box_reg"; empty in eval mode.
  std::map<std::string, torch::Tensor> losses;
};

class RoIHeadsImpl : public torch::nn::Cloneable<RoIHeadsImpl> {
 public:
  explicit RoIHeadsImpl(RoIHeadsOptions options = {});
  void reset() override;

  /// features: named [N, C, H, W] maps (the pooler's featmap_names); proposals: one [K_i, 4] per image
  /// in image coordinates (no gradient flows into them); image_sizes: (height, width) of each image
  /// inside the padded batch; targets (training only, required then): per image the ground truth
  /// "boxes" [G_i, 4] and "labels" int64 [G_i] (G_i may be 0).
  RoIHeadsOutput forward(const FeatureMaps& features, const std::vector<torch::Tensor>& proposals,
                         const std::vector<std::array<int64_t, 2>>& image_sizes,
                         const std::vector<Instances>& targets = {});

  /// Pool -> box head -> predictor on the given boxes: raw class logits [sum K_i, C] and box deltas
  /// [sum K_i, 4 C].
  std::pair<torch::Tensor, torch::Tensor> predict(const FeatureMaps& features, const std::vector<torch::Tensor>& boxes,
                                                  const std::vector<std::array<int64_t, 2>>& image_sizes);

  /// Training-time proposal selection: ground-truth boxes appended to the proposals, matching
  /// (Matcher(fg, bg, no low-quality matches)), balanced sampling (torch's global generator unless
  /// `generator` is given) and box-coder targets.
  RoISamples select_training_samples(const std::vector<torch::Tensor>& proposals, const std::vector<Instances>& targets,
                                     std::optional<at::Generator> generator = std::nullopt) const;

  /// Test-time post-processing of raw outputs for `proposals` (softmax, per-class decode, clip, no
  /// background, score threshold, small boxes out, per-class NMS, top detections_per_img).
  std::vector<Instances> postprocess_detections(const torch::Tensor& class_logits, const torch::Tensor& box_regression,
                                                const std::vector<torch::Tensor>& proposals,
                                                const std::vector<std::array<int64_t, 2>>& image_sizes) const;

  TwoMLPHead& box_head() { return box_head_; }
  FastRCNNPredictor& box_predictor() { return box_predictor_; }

  RoIHeadsOptions options;

 private:
  BoxPooler pooler_;
  std::optional<Matcher> matcher_;
  std::optional<BalancedPositiveNegativeSampler> sampler_;
  TwoMLPHead box_head_{nullptr};
  FastRCNNPredictor box_predictor_{nullptr};
};

TORCH_MODULE(RoIHeads);

}  // namespace beyond::models
