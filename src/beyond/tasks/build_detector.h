#pragma once
/// Builds a GeneralizedRCNN from the `model:` section of a config (configs/faster_rcnn_*.yaml,
/// configs/fast_rcnn_*.yaml), so that each paper is a configuration rather than a class:
///
///   model.arch          faster_rcnn (RPN proposals) | fast_rcnn (external proposals)
///   model.backbone      small_fpn | resnet18_fpn | resnet34_fpn | resnet50_fpn | vgg16
///   model.pooler        multiscale_roi_align | roi_align | roi_pool
///   model.num_classes   object classes + background (0: the caller passes the data's count)
///   model.rpn.*, model.roi_heads.*, model.transform.*   the options of those parts
///
///   beyond::Config cfg = beyond::Config::builtin("faster_rcnn_r50_fpn");
///   beyond::models::GeneralizedRCNN m = beyond::build_detector(cfg);
///
/// It lives in tasks/ because it reads an engine Config; the models themselves take Options structs.
#include <cstdint>

#include "beyond/models/detection/generalized_rcnn.h"

namespace beyond {

class Config;

/// `num_classes` > 0 overrides model.num_classes (e.g. the number of categories in the data + 1).
models::GeneralizedRCNN build_detector(const Config& cfg, int64_t num_classes = 0);

}  // namespace beyond
