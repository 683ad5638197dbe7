#include "beyond/models/detection/rpn.h"

#include <ATen/core/Reduction.h>

#include <cmath>

#include "beyond/core/error.h"
#include "beyond/ops/box_ops.h"

namespace beyond::models {

namespace {

constexpr double kBoxCoderWeights[] = {1.0, 1.0, 1.0, 1.0};

/// log(1000 / 16): the largest dw / dh before exp, as in torchvision's BoxCoder.
const double kBoxXformClip = std::log(1000.0 / 16.0);

/// [N, A * C, H, W] -> [N, H * W * A, C]: position-major, then anchor, as torchvision's permute_and_flatten,
/// so that row i is the prediction for anchor i of ops::AnchorGenerator.
torch::Tensor permute_and_flatten(const torch::Tensor& x, int64_t channels) {
  const auto n = x.size(0), h = x.size(2), w = x.size(3);
  return x.view({n, -1, channels, h, w}).permute({0, 3, 4, 1, 2}).reshape({n, -1, channels});
}

/// batched_nms with torchvision's order among equal scores (float32 sigmoids near 0.5 tie often).
/// torchvision runs NMS per level and merges the kept boxes with an unstable descending sort when
/// there are more than 1000 candidates on the CPU (5000 on a GPU); with fewer, its single stable NMS
/// keeps ties in index order, as ops::batched_nms always does. The kept set is the same either way.
torch::Tensor batched_nms_torchvision_order(const torch::Tensor& boxes, const torch::Tensor& scores,
                                            const torch::Tensor& levels, double iou_threshold) {
  const auto keep = ops::batched_nms(boxes, scores, levels, iou_threshold);
  const int64_t per_level_limit = boxes.is_cpu() ? 4000 : 20000;
  if (boxes.numel() <= per_level_limit) return keep;
  const auto by_index = std::get<0>(keep.sort());
  return by_index.index_select(0, std::get<1>(scores.index_select(0, by_index).sort(0, /*descending=*/true)));
}

}  // namespace

RegionProposalNetworkImpl::RegionProposalNetworkImpl(RegionProposalNetworkOptions opts)
    : options(std::move(opts)),
      anchor_generator_(options.anchor_sizes(), options.aspect_ratios()),
      matcher_(options.fg_iou_thresh(), options.bg_iou_thresh(), /*allow_low_quality_matches=*/true),
      sampler_(options.batch_size_per_image(), options.positive_fraction()) {
  const auto per_location = anchor_generator_.num_anchors_per_location();
  for (const auto a : per_location) {
    BEYOND_CHECK(a == per_location.front(), "RegionProposalNetwork: every level must have the same number of "
                 "anchors per position (sizes x ratios) to share one head; got ", a, " and ", per_location.front());
  }
  BEYOND_CHECK(options.nms_thresh() > 0 && options.nms_thresh() <= 1,
               "RegionProposalNetwork: nms_thresh must be in (0, 1], got ", options.nms_thresh());
  reset();
}

void RegionProposalNetworkImpl::reset() {
  head = register_module("head", RPNHead(options.in_channels(), anchor_generator_.num_anchors_per_location().front(),
                                         options.conv_depth()));
}

std::pair<torch::Tensor, std::vector<int64_t>> RegionProposalNetworkImpl::anchors(
    const ImageList& images, const std::vector<torch::Tensor>& features) const {
  const auto per_location = anchor_generator_.num_anchors_per_location();
  BEYOND_CHECK(features.size() == per_location.size(), "RegionProposalNetwork: ", features.size(),
               " feature levels given but anchors are configured for ", per_location.size(),
               " (options.anchor_sizes)");
  std::vector<std::vector<int64_t>> feature_sizes;
  std::vector<int64_t> per_level;
  for (size_t l = 0; l < features.size(); ++l) {
    feature_sizes.push_back({features[l].size(2), features[l].size(3)});
    per_level.push_back(features[l].size(2) * features[l].size(3) * per_location[l]);
  }
  const auto& batch = images.tensor();
  // Strides come from the padded batch size, as in torchvision.
  auto a = anchor_generator_.anchors({batch.size(-2), batch.size(-1)}, feature_sizes);
  return {a.to(features.front().device(), features.front().scalar_type()), per_level};
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> RegionProposalNetworkImpl::assign_targets(
    const torch::Tensor& anchors, const std::vector<torch::Tensor>& gt_boxes) const {
  std::vector<torch::Tensor> labels, matched_boxes;
  for (size_t i = 0; i < gt_boxes.size(); ++i) {
    const auto& gt = gt_boxes[i];
    BEYOND_CHECK(gt.dim() == 2 && gt.size(1) == 4, "RegionProposalNetwork: ground-truth boxes of image ", i,
                 " must be [M, 4] (x1, y1, x2, y2), got ", gt.sizes());
    if (gt.size(0) == 0) {  // an image without objects: every anchor is background
      labels.push_back(torch::zeros({anchors.size(0)}, anchors.options()));
      matched_boxes.push_back(torch::zeros_like(anchors));
      continue;
    }
    const auto gt_i = gt.to(anchors.device(), anchors.scalar_type());
    const auto matches = matcher_(ops::box_iou(gt_i, anchors));
    auto l = (matches >= 0).to(anchors.scalar_type());
    l.masked_fill_(matches == Matcher::BELOW_LOW_THRESHOLD, 0.0);
    l.masked_fill_(matches == Matcher::BETWEEN_THRESHOLDS, -1.0);
    labels.push_back(l);
    matched_boxes.push_back(gt_i.index_select(0, matches.clamp_min(0)));
  }
  return {labels, matched_boxes};
}

std::vector<torch::Tensor> RegionProposalNetworkImpl::select_proposals(const torch::Tensor& proposals,
                                                                       const torch::Tensor& objectness,
                                                                       const ImageList& images,
                                                                       const std::vector<int64_t>& per_level,
                                                                       std::vector<torch::Tensor>& scores_out) const {
  const auto pre_nms = is_training() ? options.pre_nms_top_n_train() : options.pre_nms_top_n_test();
  const auto post_nms = is_training() ? options.post_nms_top_n_train() : options.post_nms_top_n_test();
  // Top-N per level (indices into the whole anchor list) and each candidate's level.
  std::vector<torch::Tensor> top_idx, top_level;
  int64_t offset = 0;
  for (size_t l = 0; l < per_level.size(); ++l) {
    const auto level_scores = objectness.narrow(1, offset, per_level[l]);
    const auto k = std::min(pre_nms, per_level[l]);
    const auto idx = std::get<1>(level_scores.topk(k, 1));
    top_idx.push_back(idx + offset);
    top_level.push_back(torch::full_like(idx, static_cast<int64_t>(l)));
    offset += per_level[l];
  }
  const auto idx = torch::cat(top_idx, 1);
  const auto levels = torch::cat(top_level, 1);
  const auto scores = torch::sigmoid(objectness.gather(1, idx));
  const auto boxes = proposals.gather(1, idx.unsqueeze(2).expand({-1, -1, 4}));

  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < images.size(); ++i) {
    const auto size = images.image_size(i);
    auto b = ops::clip_boxes_to_image(boxes[i], {size[0], size[1]});
    auto s = scores[i], lv = levels[i];
    auto keep = ops::remove_small_boxes(b, options.min_size());
    b = b.index_select(0, keep), s = s.index_select(0, keep), lv = lv.index_select(0, keep);
    keep = torch::nonzero(s >= options.score_thresh()).squeeze(1);
    b = b.index_select(0, keep), s = s.index_select(0, keep), lv = lv.index_select(0, keep);
    keep = batched_nms_torchvision_order(b, s, lv, options.nms_thresh());
    keep = keep.slice(0, 0, post_nms);
    out.push_back(b.index_select(0, keep));
    scores_out.push_back(s.index_select(0, keep));
  }
  return out;
}

RPNOutput RegionProposalNetworkImpl::forward(const ImageList& images, const std::vector<torch::Tensor>& features,
                                             const std::optional<std::vector<torch::Tensor>>& gt_boxes) {
  BEYOND_CHECK(!features.empty(), "RegionProposalNetwork: no feature maps given");
  const auto num_images = images.size();
  for (size_t l = 0; l < features.size(); ++l) {
    BEYOND_CHECK(features[l].dim() == 4 && features[l].size(0) == num_images, "RegionProposalNetwork: feature level ",
                 l, " must be [", num_images, ", C, H, W] for ", num_images, " images, got ", features[l].sizes());
  }
  const auto [logits, deltas] = head->forward(features);
  const auto [anchors_one, per_level] = anchors(images, features);

  std::vector<torch::Tensor> flat_logits, flat_deltas;
  for (size_t l = 0; l < features.size(); ++l) {
    flat_logits.push_back(permute_and_flatten(logits[l], 1));
    flat_deltas.push_back(permute_and_flatten(deltas[l], 4));
  }
  const auto objectness = torch::cat(flat_logits, 1).squeeze(2);  // [N, total]
  const auto box_deltas = torch::cat(flat_deltas, 1);              // [N, total, 4]
  const auto total = anchors_one.size(0);

  const auto all_anchors = anchors_one.repeat({num_images, 1});
  const auto proposals =
      ops::decode_boxes(box_deltas.detach().reshape({-1, 4}), all_anchors, kBoxCoderWeights, kBoxXformClip)
          .view({num_images, total, 4});

  RPNOutput out;
  out.boxes = select_proposals(proposals, objectness.detach(), images, per_level, out.scores);

  if (gt_boxes) {
    BEYOND_CHECK(static_cast<int64_t>(gt_boxes->size()) == num_images, "RegionProposalNetwork: ", gt_boxes->size(),
                 " ground-truth box sets given for ", num_images, " images");
    const auto [labels, matched] = assign_targets(anchors_one, *gt_boxes);
    std::vector<torch::Tensor> targets;
    for (const auto& m : matched) targets.push_back(ops::encode_boxes(m, anchors_one, kBoxCoderWeights));
    const auto [pos_masks, neg_masks] = sampler_(labels);
    const auto pos = torch::nonzero(torch::cat(pos_masks)).squeeze(1);
    const auto neg = torch::nonzero(torch::cat(neg_masks)).squeeze(1);
    const auto sampled = torch::cat({pos, neg});
    const auto flat_box_deltas = box_deltas.reshape({-1, 4});
    const auto all_targets = torch::cat(targets);
    out.losses["loss_rpn_box_reg"] =
        at::smooth_l1_loss(flat_box_deltas.index_select(0, pos), all_targets.index_select(0, pos),
                           at::Reduction::Sum, 1.0 / 9) /
        static_cast<double>(sampled.numel());
    out.losses["loss_objectness"] = at::binary_cross_entropy_with_logits(
        objectness.reshape({-1}).index_select(0, sampled), torch::cat(labels).index_select(0, sampled));
  }
  return out;
}

}  // namespace beyond::models
