#include "beyond/tasks/build_detector.h"

#include "beyond/core/error.h"
#include "beyond/engine/config.h"
#include "beyond/models/backbones/backbone_with_fpn.h"
#include "beyond/models/backbones/vgg.h"

namespace beyond {
namespace {

using namespace models;

NormKind norm_kind(const std::string& name) {
  if (name == "frozen") return NormKind::Frozen;
  if (name == "batch") return NormKind::BatchNorm;
  throw UsageError(str("model.norm must be 'frozen' or 'batch', got '", name, "'"));
}

StageArray stages(const Config& cfg, const std::string& key) {
  const auto v = cfg.get_ints(key);
  BEYOND_CHECK(v.size() == 4, key, " needs 4 values (one per ResNet stage), got ", v.size());
  return {v[0], v[1], v[2], v[3]};
}

std::shared_ptr<Backbone> build_backbone(const Config& cfg) {
  const auto name = cfg.get_string("model.backbone");
  const auto norm = norm_kind(cfg.get_string("model.norm"));
  const auto trainable = static_cast<int>(cfg.get_int("model.trainable_layers"));
  if (name == "small_fpn")
    return small_fpn_backbone(SmallBackboneOptions()
                                  .widths(stages(cfg, "model.small.widths"))
                                  .blocks(stages(cfg, "model.small.blocks"))
                                  .fpn_channels(cfg.get_int("model.small.fpn_channels"))
                                  .norm(norm));
  for (int depth : {18, 34, 50})
    if (name == str("resnet", depth, "_fpn"))
      return resnet_fpn_backbone(ResNetOptions::from_depth(depth).norm(norm).trainable_layers(trainable));
  if (name == "vgg16") return std::make_shared<Vgg16Backbone>(Vgg16Options().frozen_convs(trainable));
  throw UsageError(str("model.backbone '", name,
                       "' is not known; use small_fpn, resnet18_fpn, resnet34_fpn, resnet50_fpn or vgg16"));
}

BoxPoolerOptions pooler_options(const Config& cfg, const Backbone& backbone, bool fpn) {
  const auto type = cfg.get_string("model.pooler");
  BoxPoolerOptions o;
  o.output_size(cfg.get_int("model.roi_heads.pool_size")).sampling_ratio(cfg.get_int("model.roi_heads.sampling_ratio"));
  if (type == "multiscale_roi_align") {
    BEYOND_CHECK(fpn, "model.pooler multiscale_roi_align needs an FPN backbone; use roi_pool or roi_align with ",
                 cfg.get_string("model.backbone"));
    return o.type(BoxPoolerType::kMultiScaleRoIAlign).featmap_names({"0", "1", "2", "3"});
  }
  o.featmap_names({"0"}).spatial_scale(1.0 / static_cast<double>(cfg.get_int("model.feature_stride")));
  if (type == "roi_align") return o.type(BoxPoolerType::kRoIAlign);
  if (type == "roi_pool") return o.type(BoxPoolerType::kRoIPool);
  throw UsageError(str("model.pooler '", type, "' is not known; use multiscale_roi_align, roi_align or roi_pool"));
}

RegionProposalNetwork build_rpn(const Config& cfg, int64_t channels) {
  std::vector<std::vector<int64_t>> sizes;
  for (int64_t s : cfg.get_ints("model.rpn.anchor_sizes")) sizes.push_back({s});
  // One size per level for an FPN; all sizes on the one map of a single-level backbone.
  if (cfg.get_string("model.backbone") == "vgg16") sizes = {cfg.get_ints("model.rpn.anchor_sizes")};
  return RegionProposalNetwork(RegionProposalNetworkOptions(channels)
                                   .anchor_sizes(sizes)
                                   .aspect_ratios({cfg.get_doubles("model.rpn.aspect_ratios")})
                                   .fg_iou_thresh(cfg.get_double("model.rpn.fg_iou_thresh"))
                                   .bg_iou_thresh(cfg.get_double("model.rpn.bg_iou_thresh"))
                                   .batch_size_per_image(cfg.get_int("model.rpn.batch_size_per_image"))
                                   .positive_fraction(cfg.get_double("model.rpn.positive_fraction"))
                                   .pre_nms_top_n_train(cfg.get_int("model.rpn.pre_nms_top_n_train"))
                                   .pre_nms_top_n_test(cfg.get_int("model.rpn.pre_nms_top_n_test"))
                                   .post_nms_top_n_train(cfg.get_int("model.rpn.post_nms_top_n_train"))
                                   .post_nms_top_n_test(cfg.get_int("model.rpn.post_nms_top_n_test"))
                                   .nms_thresh(cfg.get_double("model.rpn.nms_thresh")));
}

}  // namespace

models::GeneralizedRCNN build_detector(const Config& cfg, int64_t num_classes) {
  if (num_classes <= 0) num_classes = cfg.get_int("model.num_classes");
  BEYOND_CHECK(num_classes >= 2, "model.num_classes must count the object classes plus the background (>= 2), got ",
               num_classes);
  const auto arch = cfg.get_string("model.arch");
  BEYOND_CHECK(arch == "faster_rcnn" || arch == "fast_rcnn", "model.arch must be faster_rcnn or fast_rcnn, got '",
               arch, "'");
  auto backbone = build_backbone(cfg);
  // Configs saved in weights files before the key existed lack it: they ran contiguous.
  backbone->set_channels_last(cfg.has("model.channels_last") && cfg.get_bool("model.channels_last"));
  const bool fpn = cfg.get_string("model.backbone") != "vgg16";
  const int64_t channels = backbone->out_channels();
  RegionProposalNetwork rpn{nullptr};
  if (arch == "faster_rcnn") rpn = build_rpn(cfg, channels);
  RoIHeads heads(RoIHeadsOptions()
                     .num_classes(num_classes)
                     .in_channels(channels)
                     .representation_size(cfg.get_int("model.roi_heads.representation_size"))
                     .pooler(pooler_options(cfg, *backbone, fpn))
                     .fg_iou_thresh(cfg.get_double("model.roi_heads.fg_iou_thresh"))
                     .bg_iou_thresh(cfg.get_double("model.roi_heads.bg_iou_thresh"))
                     .batch_size_per_image(cfg.get_int("model.roi_heads.batch_size_per_image"))
                     .positive_fraction(cfg.get_double("model.roi_heads.positive_fraction"))
                     .score_thresh(cfg.get_double("model.roi_heads.score_thresh"))
                     .nms_thresh(cfg.get_double("model.roi_heads.nms_thresh"))
                     .detections_per_img(cfg.get_int("model.roi_heads.detections_per_img")));
  auto transform = DetectionTransformOptions()
                       .min_size(cfg.get_ints("model.transform.min_size"))
                       .test_min_size(cfg.get_int("model.transform.test_min_size"))
                       .max_size(cfg.get_int("model.transform.max_size"))
                       .image_mean(cfg.get_doubles("model.transform.image_mean"))
                       .image_std(cfg.get_doubles("model.transform.image_std"))
                       .max_input_pixels(cfg.get_int("model.transform.max_input_pixels"));
  return GeneralizedRCNN(std::move(backbone), std::move(rpn), std::move(heads), transform);
}

}  // namespace beyond
