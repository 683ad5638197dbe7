#pragma once
/// Pascal VOC detection AP, as the official VOCdevkit (VOCevaldet.m) defines it:
/// - boxes are [x1, y1, x2, y2] in inclusive pixel coordinates, so widths are x2 - x1 + 1 (the
///   devkit's and detectron2's voc_eval convention; not COCO's);
/// - per class, detections over all images sorted by score, highest first (a stable sort, as
///   MATLAB's); each is matched to the ground truth of its image with the highest IoU (first wins on
///   equal IoU); IoU >= 0.5 (the devkit's `ovmax >= minoverlap`; detectron2's copy uses `>`, which
///   only differs at exactly 0.5) to an unclaimed object is a true positive, to a claimed one a false
///   positive (duplicate), below 0.5 a false positive; matched to a `difficult` object: neither;
/// - difficult objects do not count in the number of positives;
/// - precision = tp / max(tp + fp, eps) (the devkit divides without eps; this only changes a
///   leading run of detections matched to difficult objects from NaN to 0);
/// - VOC2007 11-point AP: mean over t = k * 0.1, k = 0..10 (numpy.arange's values, as detectron2) of
///   the maximum precision at recall >= t (0 if none); VOC2010+ AP: the area under the precision
///   envelope at the points where recall changes.
/// mAP is the mean over classes with at least one non-difficult object (a class without any is
/// reported with AP -1 and left out of the mean, where the devkit would produce NaN).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::eval {

using VocBox = std::array<double, 4>;  // x1, y1, x2, y2, inclusive pixels

struct VocObject {
  int64_t label = 0;  // class index into the evaluator's class names
  VocBox box{};
  bool difficult = false;
};

struct VocDetection {
  int64_t label = 0;
  double score = 0;
  VocBox box{};
};

struct VocClassResult {
  std::string name;
  int64_t num_positives = 0;   // non-difficult objects
  int64_t num_detections = 0;
  double ap = -1;      // VOC2010+ all-point
  double ap07 = -1;    // VOC2007 11-point
};

struct VocResult {
  std::vector<VocClassResult> classes;
  double map = -1;    // all-point
  double map07 = -1;  // 11-point
  /// A table: class, positives, detections, AP (11-point), AP (all-point), and the means.
  std::string summary() const;
  std::string to_json() const;
};

/// VOC's IoU with +1 pixel widths.
double voc_iou(const VocBox& a, const VocBox& b);
/// AP from a recall / precision curve (detections in score order).
double voc_ap_all_points(const std::vector<double>& recall, const std::vector<double>& precision);
double voc_ap_11_points(const std::vector<double>& recall, const std::vector<double>& precision);

/// reset / process / evaluate over images; images are identified by their order of processing.
class VocEvaluator {
 public:
  explicit VocEvaluator(std::vector<std::string> class_names, double iou_threshold = 0.5);
  void reset();
  /// One image's ground truth and detections. Labels must be valid class indices.
  void process(const std::vector<VocObject>& ground_truth, const std::vector<VocDetection>& detections);
  VocResult evaluate() const;
  size_t num_images() const { return ground_truth_.size(); }

 private:
  std::vector<std::string> class_names_;
  double iou_threshold_;
  std::vector<std::vector<VocObject>> ground_truth_;
  std::vector<std::vector<VocDetection>> detections_;
};

}  // namespace beyond::eval
