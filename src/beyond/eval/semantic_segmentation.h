#pragma once
/// Semantic segmentation scores from a confusion matrix accumulated over images (reset / process /
/// evaluate), with detectron2's SemSegEvaluator definitions. Plain C++ on label arrays; the tensor
/// overload is in semantic_segmentation_tensor.h.
///
///   beyond::eval::SemanticSegmentationEvaluator ev(21);             // classes 0..20, 255 ignored
///   ev.process(pred.data(), gt.data(), pred.size());                  // per image, any order
///   auto r = ev.evaluate();   // r.miou, r.pixel_accuracy, r.class_iou[c] ...
///
/// Definitions (C classes, confusion[g][p] = pixels of ground-truth class g predicted as p; pixels
/// whose ground truth is the ignore label are not counted):
/// - pixel accuracy = sum_c tp_c / sum_c gt_c;
/// - class accuracy_c = tp_c / gt_c, defined where gt_c > 0; mean class accuracy over those;
/// - IoU_c = tp_c / (gt_c + pred_c - tp_c), defined where gt_c + pred_c > 0; mIoU over those (a class
///   absent from both the ground truth and the predictions is excluded, not counted as 0 or 1);
/// - frequency-weighted IoU = sum over defined IoU_c of (gt_c / sum gt) * IoU_c.
/// Undefined per-class values are NaN. A ground-truth or predicted label outside 0..C-1 (other than
/// the ignore label in the ground truth) is an error: it would silently shift the scores.
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::eval {

struct SemanticSegmentationResult {
  std::vector<double> class_iou;       // NaN where undefined
  std::vector<double> class_accuracy;  // NaN where undefined
  double miou = 0;
  double fwiou = 0;
  double mean_class_accuracy = 0;
  double pixel_accuracy = 0;
  int64_t pixels = 0;  // counted (not ignored) pixels
  /// "mIoU ... fwIoU ... mACC ... pACC ..." and a per-class table (with names if given).
  std::string summary(const std::vector<std::string>& class_names = {}) const;
  std::string to_json(const std::vector<std::string>& class_names = {}) const;
};

class SemanticSegmentationEvaluator {
 public:
  explicit SemanticSegmentationEvaluator(int64_t num_classes, int64_t ignore_label = 255);
  void reset();
  /// One image's (or batch's) labels, `n` pixels each; `where` names it in errors.
  void process(const uint8_t* prediction, const uint8_t* ground_truth, size_t n, const std::string& where = "");
  void process(const int64_t* prediction, const int64_t* ground_truth, size_t n, const std::string& where = "");
  SemanticSegmentationResult evaluate() const;
  /// Row-major [num_classes][num_classes], rows = ground truth, columns = prediction.
  const std::vector<int64_t>& confusion() const { return confusion_; }
  int64_t num_classes() const { return num_classes_; }
  int64_t ignore_label() const { return ignore_label_; }

 private:
  template <typename T>
  void accumulate(const T* prediction, const T* ground_truth, size_t n, const std::string& where);
  int64_t num_classes_;
  int64_t ignore_label_;
  std::vector<int64_t> confusion_;
};

}  // namespace beyond::eval
