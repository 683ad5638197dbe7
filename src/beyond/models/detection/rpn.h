#pragma once
/// The Region Proposal Network of Faster R-CNN (Ren et al. 2015) with torchvision's conventions, so
/// that torchvision's RPN weights give the same proposals here:
///
///   anchors per FPN level (ops::AnchorGenerator, torchvision's order) -> RPNHead on every level ->
///   objectness and deltas flattened level by level, position-major then anchor (permute_and_flatten) ->
///   decode (weights 1, dw/dh clamped at log(1000/16)) -> pre-NMS top-N *per level and image* ->
///   clip to the image -> drop boxes under min_size -> drop scores (sigmoid) under score_thresh ->
///   NMS per level (IoU nms_thresh) -> post-NMS top-N *per image*.
///
/// Training (targets given): each anchor is matched to ground truth (Matcher(fg, bg, low-quality
/// matches on)), batch_size_per_image anchors are sampled per image (BalancedPositiveNegativeSampler on
/// torch's global RNG, so torch.manual_seed picks the same anchors as torchvision), and the losses are
///   loss_objectness = BCE-with-logits, mean over the sampled anchors,
///   loss_rpn_box_reg = smooth-L1 (beta 1/9) summed over the sampled positives / number sampled.
///
///   beyond::models::RegionProposalNetwork rpn(beyond::models::RegionProposalNetworkOptions(256));
///   auto out = rpn->forward(images, {p2, p3, p4, p5, pool});           // eval: out.boxes, out.scores
///   auto train_out = rpn->forward(images, features, gt_boxes);          // + out.losses
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "beyond/models/detection/balanced_sampler.h"
#include "beyond/models/detection/matcher.h"
#include "beyond/models/detection/rpn_head.h"
#include "beyond/ops/anchors.h"
#include "beyond/structures/image_list.h"

namespace beyond::models {

/// Options of `RegionProposalNetwork`; defaults are torchvision's fasterrcnn_resnet50_fpn.
struct RegionProposalNetworkOptions {
  explicit RegionProposalNetworkOptions(int64_t in_channels = 256) : in_channels_(in_channels) {}
  /// Channels of every feature level.
  TORCH_ARG(int64_t, in_channels);
  /// Anchor sizes (pixels) per level, and aspect ratios (height / width) per level or one list for all.
  TORCH_ARG(std::vector<std::vector<int64_t>>, anchor_sizes) = {{32}, {64}, {128}, {256}, {512}};
  TORCH_ARG(std::vector<std::vector<double>>, aspect_ratios) = {{0.5, 1.0, 2.0}};
  /// 3x3 convs in the head.
  TORCH_ARG(int64_t, conv_depth) = 1;
  /// Anchor matching: IoU >= fg is foreground, < bg background, in between ignored.
  TORCH_ARG(double, fg_iou_thresh) = 0.7;
  TORCH_ARG(double, bg_iou_thresh) = 0.3;
  /// Anchors sampled per image for the losses, and the largest positive share of them.
  TORCH_ARG(int64_t, batch_size_per_image) = 256;
  TORCH_ARG(double, positive_fraction) = 0.5;
  /// Highest-scoring anchors kept per level before NMS, and proposals kept per image after it.
  TORCH_ARG(int64_t, pre_nms_top_n_train) = 2000;
  TORCH_ARG(int64_t, pre_nms_top_n_test) = 1000;
  TORCH_ARG(int64_t, post_nms_top_n_train) = 2000;
  TORCH_ARG(int64_t, post_nms_top_n_test) = 1000;
  TORCH_ARG(double, nms_thresh) = 0.7;
  /// Proposals with sigmoid(objectness) below this are dropped.
  TORCH_ARG(double, score_thresh) = 0.0;
  /// Proposals narrower or lower than this (pixels) are dropped.
  TORCH_ARG(double, min_size) = 1e-3;
};

/// What the RPN returns: per image, proposals [K_i, 4] (x1, y1, x2, y2 in the padded batch's pixel
/// frame, clipped to the image) sorted by decreasing objectness, their sigmoid scores [K_i], and, when
/// targets were given, "loss_objectness" and "loss_rpn_box_reg".
struct RPNOutput {
  std::vector<torch::Tensor> boxes;
  std::vector<torch::Tensor> scores;
  std::map<std::string, torch::Tensor> losses;
};

/// See the file comment. Submodule: head (torchvision's names under "rpn.head.").
class RegionProposalNetworkImpl : public torch::nn::Cloneable<RegionProposalNetworkImpl> {
 public:
  explicit RegionProposalNetworkImpl(RegionProposalNetworkOptions options = RegionProposalNetworkOptions());
  void reset() override;

  /// features: one [N, C, H_l, W_l] tensor per level, finest first (the anchor sizes' order).
  /// gt_boxes: per image [M_i, 4] ground-truth boxes (M_i may be 0: every anchor is background);
  /// given, the losses are computed (in train or eval mode alike, as the caller asks).
  /// Proposals are computed with the train top-N values in train mode and the test values in eval mode.
  RPNOutput forward(const ImageList& images, const std::vector<torch::Tensor>& features,
                    const std::optional<std::vector<torch::Tensor>>& gt_boxes = std::nullopt);

  /// Anchors of a batch ([sum_l H_l W_l A, 4], shared by all its images) and the count per level.
  std::pair<torch::Tensor, std::vector<int64_t>> anchors(const ImageList& images,
                                                         const std::vector<torch::Tensor>& features) const;

  /// Per image: labels of the anchors (1 foreground, 0 background, -1 ignored; float) and their
  /// matched ground-truth boxes [A, 4] (zeros where unmatched), as torchvision assigns them.
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> assign_targets(
      const torch::Tensor& anchors, const std::vector<torch::Tensor>& gt_boxes) const;

  RegionProposalNetworkOptions options;
  RPNHead head{nullptr};

 private:
  std::vector<torch::Tensor> select_proposals(const torch::Tensor& proposals, const torch::Tensor& objectness,
                                              const ImageList& images, const std::vector<int64_t>& per_level,
                                              std::vector<torch::Tensor>& scores_out) const;
  ops::AnchorGenerator anchor_generator_;
  Matcher matcher_;
  BalancedPositiveNegativeSampler sampler_;
};

TORCH_MODULE(RegionProposalNetwork);

}  // namespace beyond::models
