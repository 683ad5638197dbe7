#pragma once
/// Running a detector over a COCO-format dataset and scoring it the two standard ways: COCO's box AP
/// (AP, AP50, AP75, AP-S/M/L, the 12-line summary) and Pascal VOC 2007's 11-point mAP at IoU 0.5.
/// Shared by the detection task's evaluation, `beyond eval detection` and `beyond detect`.
///
///   auto results = beyond::run_detector(model, data, {});            // COCO result annotations
///   auto scores = beyond::score_detections(data.dataset(), results, image_ids);
///   scores.metrics();   // {"AP": ..., "AP50": ..., "voc07_mAP": ...}
#include <functional>
#include <string>
#include <vector>

#include "beyond/data/coco_detection.h"
#include "beyond/data/formats/coco.h"
#include "beyond/engine/task.h"
#include "beyond/eval/coco_eval.h"
#include "beyond/eval/voc_eval.h"
#include "beyond/models/detection/generalized_rcnn.h"

namespace beyond {

/// External proposals of dataset image `index` ([K, 4] float, x1 y1 x2 y2 on the original image);
/// empty for a model with an RPN.
using ProposalSource = std::function<torch::Tensor(int64_t index)>;

/// One image's detections as COCO results: xywh boxes, scores, category ids (labels 1..K mapped
/// through `category_ids`, label l -> category_ids[l - 1]).
std::vector<coco::Annotation> to_coco_results(const Instances& detections, int64_t image_id,
                                              const std::vector<int64_t>& category_ids);

/// `image` (uint8 [C, H, W], C = 1 grey or 3 RGB) with `detections` (COCO results on it) drawn over it:
/// boxes, category names and scores. Returns RGB uint8 [3, H, W].
torch::Tensor draw_detections(const torch::Tensor& image, const std::vector<coco::Annotation>& detections,
                              const std::vector<coco::Category>& categories);

struct RunDetectorOptions {
  /// Images scored: the first `limit` of the dataset (0: all).
  TORCH_ARG(int64_t, limit) = 0;
  TORCH_ARG(int64_t, batch_size) = 4;
  TORCH_ARG(bool, progress) = false;
};

/// Runs `model` (switched to eval mode, no gradients) over the dataset's images in order.
std::vector<coco::Annotation> run_detector(models::GeneralizedRCNN& model, const data::CocoDetection& data,
                                           const RunDetectorOptions& options, const ProposalSource& proposals = {});

struct DetectionScores {
  eval::CocoResult coco;
  eval::VocResult voc;
  /// AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl, voc07_mAP, voc_mAP.
  Metrics metrics() const;
  /// COCO's summary lines and the VOC table.
  std::string summary() const;
};

/// Scores `results` against `gt` on `image_ids` (every image of gt when empty). VOC boxes use VOC's
/// inclusive pixel convention (x2 = x + w - 1) for ground truth and detections alike; crowd
/// annotations count as VOC "difficult" objects.
DetectionScores score_detections(const coco::Dataset& gt, std::vector<coco::Annotation> results,
                                 std::vector<int64_t> image_ids = {});

/// run_detector, then score_detections on exactly the images it ran on (the first options.limit()).
/// `results` (if given) receives the detections.
DetectionScores evaluate_detector(models::GeneralizedRCNN& model, const data::CocoDetection& data,
                                  const RunDetectorOptions& options, const ProposalSource& proposals = {},
                                  std::vector<coco::Annotation>* results = nullptr);

}  // namespace beyond
