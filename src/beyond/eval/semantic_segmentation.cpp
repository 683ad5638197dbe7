#include "beyond/eval/semantic_segmentation.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "beyond/core/error.h"
#include "beyond/eval/json_text.h"

namespace beyond::eval {

SemanticSegmentationEvaluator::SemanticSegmentationEvaluator(int64_t num_classes, int64_t ignore_label)
    : num_classes_(num_classes), ignore_label_(ignore_label) {
  BEYOND_CHECK(num_classes > 0 && num_classes <= 65536, "semantic segmentation: num_classes must be in 1..65536, got ",
               num_classes);
  BEYOND_CHECK(ignore_label < 0 || ignore_label >= num_classes, "semantic segmentation: the ignore label ", ignore_label,
               " is one of the classes 0..", num_classes - 1);
  reset();
}

void SemanticSegmentationEvaluator::reset() {
  confusion_.assign(static_cast<size_t>(num_classes_ * num_classes_), 0);
}

template <typename T>
void SemanticSegmentationEvaluator::accumulate(const T* prediction, const T* ground_truth, size_t n,
                                               const std::string& where) {
  const auto C = num_classes_;
  for (size_t i = 0; i < n; ++i) {
    const auto g = static_cast<int64_t>(ground_truth[i]);
    if (g == ignore_label_) continue;
    const auto p = static_cast<int64_t>(prediction[i]);
    if (g < 0 || g >= C || p < 0 || p >= C) {
      const bool bad_gt = g < 0 || g >= C;
      throw Error(str("semantic segmentation", where.empty() ? "" : " (" + where + ")", ": ",
                      bad_gt ? "ground-truth" : "predicted", " label ", bad_gt ? g : p, " at pixel ", i,
                      " is outside 0..", C - 1, bad_gt ? str(" and is not the ignore label ", ignore_label_) : "",
                      "; check --num-classes"));
    }
    ++confusion_[static_cast<size_t>(g * C + p)];
  }
}

void SemanticSegmentationEvaluator::process(const uint8_t* prediction, const uint8_t* ground_truth, size_t n,
                                            const std::string& where) {
  accumulate(prediction, ground_truth, n, where);
}

void SemanticSegmentationEvaluator::process(const int64_t* prediction, const int64_t* ground_truth, size_t n,
                                            const std::string& where) {
  accumulate(prediction, ground_truth, n, where);
}

SemanticSegmentationResult SemanticSegmentationEvaluator::evaluate() const {
  const auto C = static_cast<size_t>(num_classes_);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SemanticSegmentationResult r;
  std::vector<double> tp(C, 0), gt(C, 0), pred(C, 0);
  for (size_t g = 0; g < C; ++g)
    for (size_t p = 0; p < C; ++p) {
      const auto v = static_cast<double>(confusion_[g * C + p]);
      gt[g] += v;
      pred[p] += v;
      if (g == p) tp[g] = v;
    }
  double total = 0, correct = 0;
  for (size_t c = 0; c < C; ++c) {
    total += gt[c];
    correct += tp[c];
  }
  r.pixels = static_cast<int64_t>(total);
  double iou_sum = 0, acc_sum = 0;
  int64_t iou_n = 0, acc_n = 0;
  r.fwiou = 0;
  for (size_t c = 0; c < C; ++c) {
    const double uni = gt[c] + pred[c] - tp[c];
    r.class_iou.push_back(gt[c] + pred[c] > 0 ? tp[c] / uni : nan);
    r.class_accuracy.push_back(gt[c] > 0 ? tp[c] / gt[c] : nan);
    if (!std::isnan(r.class_iou[c])) {
      iou_sum += r.class_iou[c];
      ++iou_n;
      r.fwiou += (gt[c] / total) * r.class_iou[c];
    }
    if (!std::isnan(r.class_accuracy[c])) {
      acc_sum += r.class_accuracy[c];
      ++acc_n;
    }
  }
  r.miou = iou_n ? iou_sum / static_cast<double>(iou_n) : nan;
  r.mean_class_accuracy = acc_n ? acc_sum / static_cast<double>(acc_n) : nan;
  r.pixel_accuracy = total > 0 ? correct / total : nan;
  if (!(total > 0)) r.fwiou = nan;
  return r;
}

namespace {
std::string class_name(const std::vector<std::string>& names, size_t c) {
  return c < names.size() ? names[c] : std::to_string(c);
}
}  // namespace

std::string SemanticSegmentationResult::summary(const std::vector<std::string>& class_names) const {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "mIoU %.4f  fwIoU %.4f  mACC %.4f  pACC %.4f  (%lld pixels)\n", miou, fwiou,
                mean_class_accuracy, pixel_accuracy, static_cast<long long>(pixels));
  out << line;
  std::snprintf(line, sizeof line, "%-16s %8s %8s\n", "class", "IoU", "ACC");
  out << line;
  for (size_t c = 0; c < class_iou.size(); ++c) {
    std::snprintf(line, sizeof line, "%-16s %8.4f %8.4f\n", class_name(class_names, c).c_str(), class_iou[c],
                  class_accuracy[c]);
    out << line;
  }
  return out.str();
}

std::string SemanticSegmentationResult::to_json(const std::vector<std::string>& class_names) const {
  std::ostringstream out;
  out << "{\n  \"mIoU\": " << json_number(miou) << ",\n  \"fwIoU\": " << json_number(fwiou)
      << ",\n  \"mACC\": " << json_number(mean_class_accuracy) << ",\n  \"pACC\": " << json_number(pixel_accuracy)
      << ",\n  \"pixels\": " << pixels << ",\n  \"per_class\": {";
  for (size_t c = 0; c < class_iou.size(); ++c)
    out << (c ? ", " : "") << "\"" << json_escape(class_name(class_names, c)) << "\": {\"IoU\": "
        << json_number(class_iou[c]) << ", \"ACC\": " << json_number(class_accuracy[c]) << "}";
  out << "}\n}\n";
  return out.str();
}

}  // namespace beyond::eval
