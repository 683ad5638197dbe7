#pragma once
/// COCO detection evaluation (boxes, masks, keypoints) with the numbers of the reference COCO API
/// (pycocotools' COCOeval): the same matching, the same interpolation, the same 12-line summary.
/// Plain C++ (no LibTorch), parallel over (image, category) cells with OpenMP.
///
///   auto gt = beyond::coco::read_dataset("instances_val.json");
///   auto dt = beyond::coco::read_results("results.json", gt);
///   auto r = beyond::eval::evaluate_coco(gt, dt, beyond::eval::IouType::Bbox);
///   std::cout << r.summary();            // the lines COCOeval.summarize() prints
///   double ap = r.stats[0];              // AP@[.5:.95]
///
/// Definitions followed exactly (so that files scored here and with pycocotools agree):
/// - images are all ground-truth images (sorted by id), categories all ground-truth categories;
///   detections of other categories are not scored;
/// - per (image, category): detections sorted by score, highest first, ties kept in file order
///   (a stable sort), cut to the largest maxDets; ground truth ignored when `iscrowd` (keypoints: also
///   when `num_keypoints` == 0) or when its `area` is outside the area range; ignored ground truth is
///   matched last; a crowd may be matched by any number of detections, with IoU = intersection /
///   detection area; a detection matched to ignored ground truth, or unmatched with its own area
///   outside the range, is ignored (neither true nor false positive);
/// - IoU thresholds numpy.linspace(.5, .95, 10) and recall thresholds linspace(0, 1, 101) with
///   numpy's rounding; across images the detections of one category are merged by a stable sort
///   on score in image-id order; precision is made monotone (the envelope) and read at the first
///   detection reaching each recall threshold (0 beyond the last recall);
/// - -1 where a setting has no ground truth (no non-ignored object) and in means over nothing;
/// - COCO's quirk that a ground truth with id 0 counts as "no match" is kept, deliberately.
/// Detection areas are those the results reader computed (coco::read_results, as loadRes).
#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "beyond/data/formats/coco.h"

namespace beyond::eval {

enum class IouType { Bbox, Segm, Keypoints };

/// "bbox", "segm" or "keypoints" (throws beyond::UsageError otherwise).
IouType parse_iou_type(const std::string& name);
std::string to_string(IouType type);

/// COCOeval's Params for one IoU type (its defaults; the summary assumes them).
struct CocoParams {
  IouType type = IouType::Bbox;
  std::vector<double> iou_thresholds;     // T: .50:.05:.95 (OKS thresholds for keypoints)
  std::vector<double> recall_thresholds;  // R: 0:.01:1
  std::vector<int64_t> max_dets;          // M: 1, 10, 100 (keypoints: 20), ascending
  std::vector<std::array<double, 2>> area_ranges;  // A: all, small, medium, large (keypoints: no small)
  std::vector<std::string> area_labels;
  std::vector<double> keypoint_sigmas;    // COCO's 17 per-keypoint sigmas (OKS)

  static CocoParams defaults(IouType type);
};

/// numpy.linspace(start, stop, num) with numpy's arithmetic (i * step + start, the last = stop), so
/// that thresholds compare bit-identically with COCOeval's.
std::vector<double> numpy_linspace(double start, double stop, int64_t num);

/// What evaluate() returns: the summary stats, per-category AP, and the accumulated arrays.
struct CocoResult {
  CocoParams params;
  /// The 12 summary numbers (keypoints: 10), in summarize()'s order: AP, AP50, AP75, APs, APm, APl,
  /// AR1, AR10, AR100, ARs, ARm, ARl (keypoints: AP, AP50, AP75, APm, APl, AR, AR50, AR75, ARm, ARl).
  std::vector<double> stats;
  std::vector<int64_t> category_ids;
  std::vector<std::string> category_names;
  /// AP@[.5:.95] per category (area all, largest maxDets); -1 for a category without ground truth.
  std::vector<double> category_ap;
  /// precision[T][R][K][A][M] and recall[T][K][A][M] as flat row-major arrays (-1 = absent).
  std::vector<double> precision;
  std::vector<double> recall;
  int64_t num_images = 0;

  /// The lines COCOeval.summarize() prints, e.g.
  /// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.362".
  std::string summary() const;
  /// {"type": ..., "stats": {"AP": ...}, "per_category": {"<name>": AP, ...}}.
  std::string to_json() const;
  /// Short names of the stats ("AP", "AP50", ..., "ARl").
  std::vector<std::string> stat_names() const;
  double precision_at(size_t t, size_t r, size_t k, size_t a, size_t m) const;
  double recall_at(size_t t, size_t k, size_t a, size_t m) const;
};

/// Scores `detections` (as read by coco::read_results: ids from 1, areas filled) against `gt` on
/// every ground-truth image.
CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections, IouType type);
/// The same restricted to `image_ids` (COCOeval's params.imgIds); ids must be images of `gt`.
CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections, IouType type,
                         const std::vector<int64_t>& image_ids);
/// The same with non-default parameters (thresholds, area ranges, max detections, sigmas).
CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections,
                         const CocoParams& params, const std::vector<int64_t>& image_ids);

/// Completes a model's raw detections as COCO's loadRes does for a results file, so that
/// process() can take them straight from a model: a box given (w or h nonzero) sets area = w * h;
/// otherwise a mask sets area and box from the mask; otherwise keypoints set them from their extent.
/// Ids are numbered `first_id`, `first_id` + 1, ...; iscrowd is cleared.
void complete_detections(std::vector<coco::Annotation>& detections, const coco::Dataset& gt, int64_t first_id);

/// The evaluator interface (detectron2 style): reset(), process() per batch, evaluate() at the end.
/// Only processed images are scored (an image processed with no detections counts: its objects are
/// misses), as detectron2's COCOEvaluator restricts COCOeval to the images it saw.
class CocoEvaluator {
 public:
  CocoEvaluator(std::shared_ptr<const coco::Dataset> gt, IouType type);
  void reset();
  /// Detections of one image (category_id, score, and bbox / segmentation / keypoints); image_id
  /// is set from the argument. Throws if the image is not in the ground truth.
  void process(int64_t image_id, std::vector<coco::Annotation> detections);
  CocoResult evaluate() const;

 private:
  std::shared_ptr<const coco::Dataset> gt_;
  IouType type_;
  std::vector<coco::Annotation> detections_;
  std::set<int64_t> image_ids_;
};

}  // namespace beyond::eval
