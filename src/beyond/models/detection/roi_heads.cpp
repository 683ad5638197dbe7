#include "beyond/models/detection/roi_heads.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/models/detection/fast_rcnn_loss.h"
#include "beyond/ops/box_ops.h"

namespace beyond::models {
namespace {

void check_boxes_per_image(const std::vector<torch::Tensor>& boxes,
                           const std::vector<std::array<int64_t, 2>>& image_sizes, const char* what) {
  BEYOND_CHECK(boxes.size() == image_sizes.size(), "RoIHeads: ", boxes.size(), " ", what, " tensors for ",
               image_sizes.size(), " image sizes; give one of each per image");
  for (size_t i = 0; i < boxes.size(); ++i)
    BEYOND_CHECK(boxes[i].dim() == 2 && boxes[i].size(1) == 4 && boxes[i].is_floating_point(), "RoIHeads: ", what,
                 " of image ", i, " must be a floating-point [K, 4] tensor (x1, y1, x2, y2), got ",
                 boxes[i].scalar_type(), " ", boxes[i].sizes());
}

std::vector<int64_t> lengths(const std::vector<torch::Tensor>& per_image) {
  std::vector<int64_t> n;
  for (const auto& t : per_image) n.push_back(t.size(0));
  return n;
}

}  // namespace

RoIHeadsImpl::RoIHeadsImpl(RoIHeadsOptions options) : options(std::move(options)) { reset(); }

void RoIHeadsImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.bbox_reg_weights().size() == 4, "RoIHeadsOptions::bbox_reg_weights must hold (wx, wy, ww, wh), got ",
               o.bbox_reg_weights().size(), " values");
  BEYOND_CHECK(o.in_channels() > 0, "RoIHeadsOptions::in_channels must be positive, got ", o.in_channels());
  BEYOND_CHECK(o.detections_per_img() > 0, "RoIHeadsOptions::detections_per_img must be positive, got ",
               o.detections_per_img());
  pooler_ = BoxPooler(o.pooler());
  matcher_.emplace(o.fg_iou_thresh(), o.bg_iou_thresh(), /*allow_low_quality_matches=*/false);
  sampler_.emplace(o.batch_size_per_image(), o.positive_fraction());
  const int64_t pooled = o.pooler().output_size();
  box_head_ = register_module("box_head",
                              TwoMLPHead(TwoMLPHeadOptions(o.in_channels() * pooled * pooled, o.representation_size())));
  box_predictor_ = register_module("box_predictor",
                                   FastRCNNPredictor(FastRCNNPredictorOptions(o.representation_size(), o.num_classes())));
}

std::pair<torch::Tensor, torch::Tensor> RoIHeadsImpl::predict(const FeatureMaps& features,
                                                              const std::vector<torch::Tensor>& boxes,
                                                              const std::vector<std::array<int64_t, 2>>& image_sizes) {
  check_boxes_per_image(boxes, image_sizes, "proposals");
  const auto pooled = pooler_.forward(features, boxes, image_sizes);
  BEYOND_CHECK(pooled.size(1) == options.in_channels(), "RoIHeads: the pooled features have ", pooled.size(1),
               " channels but RoIHeadsOptions::in_channels is ", options.in_channels());
  return box_predictor_->forward(box_head_->forward(pooled));
}

RoISamples RoIHeadsImpl::select_training_samples(const std::vector<torch::Tensor>& proposals,
                                                 const std::vector<Instances>& targets,
                                                 std::optional<at::Generator> generator) const {
  BEYOND_CHECK(targets.size() == proposals.size(), "RoIHeads: training needs one target per image, got ",
               targets.size(), " targets for ", proposals.size(), " images");
  RoISamples s;
  std::vector<torch::Tensor> gt_boxes, all_labels;
  for (size_t i = 0; i < proposals.size(); ++i) {
    const auto& t = targets[i];
    BEYOND_CHECK(t.empty() || (t.has(Instances::kBoxes) && t.has(Instances::kLabels)), "RoIHeads: target ", i,
                 " needs the fields 'boxes' and 'labels'");
    if (!t.empty()) {
      const auto lo = t.labels().min().item<int64_t>(), hi = t.labels().max().item<int64_t>();
      BEYOND_CHECK(lo >= 1 && hi < options.num_classes(), "RoIHeads: target ", i, " has labels in [", lo, ", ", hi,
                   "] but object labels must lie in [1, ", options.num_classes() - 1,
                   "] (0 is the background; set RoIHeadsOptions::num_classes to the classes + 1)");
    }
    const auto boxes = t.empty() ? torch::zeros({0, 4}, proposals[i].options())
                                 : t.boxes().tensor().to(proposals[i].scalar_type());
    const auto labels = t.empty() ? torch::zeros({0}, torch::kLong) : t.labels();
    gt_boxes.push_back(boxes);
    // The ground truth joins the proposals, so every object has at least one perfect positive.
    const auto props = torch::cat({proposals[i], boxes});
    s.proposals.push_back(props);
    if (boxes.size(0) == 0) {  // an image without objects: every proposal is background
      s.matched_idxs.push_back(torch::zeros({props.size(0)}, torch::kLong));
      all_labels.push_back(torch::zeros({props.size(0)}, torch::kLong));
      continue;
    }
    const auto matched = (*matcher_)(ops::box_iou(boxes, props));
    auto image_labels = labels.index({matched.clamp_min(0)}).to(torch::kLong);
    image_labels.index_put_({matched == Matcher::BELOW_LOW_THRESHOLD}, 0);
    image_labels.index_put_({matched == Matcher::BETWEEN_THRESHOLDS}, -1);
    s.matched_idxs.push_back(matched.clamp_min(0));
    all_labels.push_back(image_labels);
  }
  const auto [positive, negative] = (*sampler_)(all_labels, generator);
  for (size_t i = 0; i < proposals.size(); ++i) {
    const auto sampled = torch::where(positive[i].to(torch::kBool) | negative[i].to(torch::kBool))[0];
    s.proposals[i] = s.proposals[i].index({sampled});
    s.labels.push_back(all_labels[i].index({sampled}));
    s.matched_idxs[i] = s.matched_idxs[i].index({sampled});
    // Background RoIs of an image without objects regress onto a dummy box; their targets are unused.
    const auto gt = gt_boxes[i].size(0) ? gt_boxes[i] : torch::zeros({1, 4}, s.proposals[i].options());
    s.regression_targets.push_back(
        ops::encode_boxes(gt.index({s.matched_idxs[i]}), s.proposals[i], options.bbox_reg_weights()));
  }
  return s;
}

std::vector<Instances> RoIHeadsImpl::postprocess_detections(
    const torch::Tensor& class_logits, const torch::Tensor& box_regression, const std::vector<torch::Tensor>& proposals,
    const std::vector<std::array<int64_t, 2>>& image_sizes) const {
  const int64_t num_classes = class_logits.size(-1);
  const auto per_image = lengths(proposals);
  const auto pred_boxes = ops::decode_boxes(box_regression, torch::cat(proposals), options.bbox_reg_weights(),
                                            options.bbox_xform_clip())
                              .reshape({class_logits.size(0), num_classes, 4});
  const auto pred_scores = torch::softmax(class_logits, -1);
  const auto boxes_split = pred_boxes.split_with_sizes(per_image, 0);
  const auto scores_split = pred_scores.split_with_sizes(per_image, 0);
  std::vector<Instances> result;
  for (size_t i = 0; i < proposals.size(); ++i) {
    const auto [height, width] = image_sizes[i];
    auto boxes = ops::clip_boxes_to_image(boxes_split[i], {height, width});
    auto scores = scores_split[i];
    auto labels = torch::arange(num_classes, class_logits.options().dtype(torch::kLong))
                      .view({1, -1})
                      .expand_as(scores);
    // Every (proposal, non-background class) pair becomes one candidate detection.
    boxes = boxes.slice(1, 1).reshape({-1, 4});
    scores = scores.slice(1, 1).reshape({-1});
    labels = labels.slice(1, 1).reshape({-1});
    auto keep = torch::where(scores > options.score_thresh())[0];
    boxes = boxes.index({keep}), scores = scores.index({keep}), labels = labels.index({keep});
    keep = ops::remove_small_boxes(boxes, options.min_box_size());
    boxes = boxes.index({keep}), scores = scores.index({keep}), labels = labels.index({keep});
    keep = ops::batched_nms(boxes, scores, labels, options.nms_thresh()).slice(0, 0, options.detections_per_img());
    Instances det(height, width);
    det.set_boxes(Boxes(boxes.index({keep})));
    det.set_scores(scores.index({keep}));
    det.set_labels(labels.index({keep}));
    result.push_back(std::move(det));
  }
  return result;
}

RoIHeadsOutput RoIHeadsImpl::forward(const FeatureMaps& features, const std::vector<torch::Tensor>& proposals,
                                     const std::vector<std::array<int64_t, 2>>& image_sizes,
                                     const std::vector<Instances>& targets) {
  check_boxes_per_image(proposals, image_sizes, "proposals");
  RoIHeadsOutput out;
  if (!is_training()) {
    const auto [logits, deltas] = predict(features, proposals, image_sizes);
    out.detections = postprocess_detections(logits, deltas, proposals, image_sizes);
    return out;
  }
  BEYOND_CHECK(!targets.empty(), "RoIHeads: training mode needs targets (ground-truth boxes and labels per image); "
                                 "call eval() for inference");
  std::vector<torch::Tensor> detached;
  for (const auto& p : proposals) detached.push_back(p.detach());
  auto samples = select_training_samples(detached, targets);
  const auto [logits, deltas] = predict(features, samples.proposals, image_sizes);
  const auto losses = fast_rcnn_loss(logits, deltas, torch::cat(samples.labels), torch::cat(samples.regression_targets),
                                     options.smooth_l1_beta());
  out.losses["loss_classifier"] = losses.classifier;
  out.losses["loss_box_reg"] = losses.box_reg;
  return out;
}

}  // namespace beyond::models
