#include "beyond/eval/voc_eval.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "beyond/core/error.h"
#include "beyond/eval/json_text.h"

namespace beyond::eval {

double voc_iou(const VocBox& a, const VocBox& b) {
  const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]) + 1;
  const double ih = std::min(a[3], b[3]) - std::max(a[1], b[1]) + 1;
  if (!(iw > 0 && ih > 0)) return 0;
  const double inter = iw * ih;
  const double uni = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter;
  return inter / uni;
}

double voc_ap_all_points(const std::vector<double>& recall, const std::vector<double>& precision) {
  std::vector<double> mrec{0}, mpre{0};
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mrec.push_back(1);
  mpre.push_back(0);
  for (size_t i = mpre.size() - 1; i-- > 0;) mpre[i] = std::max(mpre[i], mpre[i + 1]);
  double ap = 0;
  for (size_t i = 1; i < mrec.size(); ++i)
    if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

double voc_ap_11_points(const std::vector<double>& recall, const std::vector<double>& precision) {
  double ap = 0;
  for (int k = 0; k <= 10; ++k) {
    const double t = k * 0.1;
    double p = 0;
    for (size_t i = 0; i < recall.size(); ++i)
      if (recall[i] >= t) p = std::max(p, precision[i]);
    ap += p / 11;
  }
  return ap;
}

VocEvaluator::VocEvaluator(std::vector<std::string> class_names, double iou_threshold)
    : class_names_(std::move(class_names)), iou_threshold_(iou_threshold) {
  BEYOND_CHECK(!class_names_.empty(), "VocEvaluator needs at least one class name");
}

void VocEvaluator::reset() {
  ground_truth_.clear();
  detections_.clear();
}

void VocEvaluator::process(const std::vector<VocObject>& ground_truth, const std::vector<VocDetection>& detections) {
  const auto n = static_cast<int64_t>(class_names_.size());
  for (const auto& o : ground_truth)
    BEYOND_CHECK(o.label >= 0 && o.label < n, "VOC evaluation: image ", ground_truth_.size(), " has an object of class ",
                 o.label, ", outside 0..", n - 1);
  for (const auto& d : detections)
    BEYOND_CHECK(d.label >= 0 && d.label < n, "VOC evaluation: image ", ground_truth_.size(),
                 " has a detection of class ", d.label, ", outside 0..", n - 1);
  ground_truth_.push_back(ground_truth);
  detections_.push_back(detections);
}

VocResult VocEvaluator::evaluate() const {
  VocResult result;
  double sum = 0, sum07 = 0;
  int64_t counted = 0;
  for (size_t c = 0; c < class_names_.size(); ++c) {
    const auto label = static_cast<int64_t>(c);
    VocClassResult r;
    r.name = class_names_[c];
    struct Det {
      double score;
      size_t image;
      const VocBox* box;
    };
    std::vector<Det> dets;
    for (size_t i = 0; i < ground_truth_.size(); ++i) {
      for (const auto& o : ground_truth_[i]) r.num_positives += o.label == label && !o.difficult;
      for (const auto& d : detections_[i])
        if (d.label == label) dets.push_back({d.score, i, &d.box});
    }
    std::stable_sort(dets.begin(), dets.end(), [](const Det& a, const Det& b) { return a.score > b.score; });
    r.num_detections = static_cast<int64_t>(dets.size());
    std::vector<std::vector<uint8_t>> claimed(ground_truth_.size());
    for (size_t i = 0; i < ground_truth_.size(); ++i) claimed[i].assign(ground_truth_[i].size(), 0);
    std::vector<double> recall, precision;
    double tp = 0, fp = 0;
    for (const auto& d : dets) {
      const auto& objects = ground_truth_[d.image];
      double best = -std::numeric_limits<double>::infinity();
      int64_t jbest = -1;
      for (size_t j = 0; j < objects.size(); ++j) {
        if (objects[j].label != label) continue;
        const double v = voc_iou(*d.box, objects[j].box);
        if (v > best) {
          best = v;
          jbest = static_cast<int64_t>(j);
        }
      }
      if (jbest >= 0 && best >= iou_threshold_) {
        const auto j = static_cast<size_t>(jbest);
        if (!objects[j].difficult) {
          if (!claimed[d.image][j]) {
            tp += 1;
            claimed[d.image][j] = 1;
          } else {
            fp += 1;
          }
        }
      } else {
        fp += 1;
      }
      recall.push_back(r.num_positives > 0 ? tp / static_cast<double>(r.num_positives) : 0);
      precision.push_back(tp / std::max(tp + fp, DBL_EPSILON));
    }
    if (r.num_positives > 0) {
      r.ap = voc_ap_all_points(recall, precision);
      r.ap07 = voc_ap_11_points(recall, precision);
      sum += r.ap;
      sum07 += r.ap07;
      ++counted;
    }
    result.classes.push_back(r);
  }
  if (counted) {
    result.map = sum / static_cast<double>(counted);
    result.map07 = sum07 / static_cast<double>(counted);
  }
  return result;
}

std::string VocResult::summary() const {
  std::ostringstream out;
  char line[200];
  std::snprintf(line, sizeof line, "%-16s %9s %10s %10s %10s\n", "class", "positives", "detections", "AP(07,11pt)",
                "AP(all pt)");
  out << line;
  for (const auto& c : classes) {
    std::snprintf(line, sizeof line, "%-16s %9lld %10lld %10.4f %10.4f\n", c.name.c_str(),
                  static_cast<long long>(c.num_positives), static_cast<long long>(c.num_detections), c.ap07, c.ap);
    out << line;
  }
  std::snprintf(line, sizeof line, "%-16s %9s %10s %10.4f %10.4f\n", "mAP", "", "", map07, map);
  out << line;
  return out.str();
}

std::string VocResult::to_json() const {
  std::ostringstream out;
  out << "{\n  \"mAP\": " << json_number(map) << ",\n  \"mAP_07\": " << json_number(map07) << ",\n  \"per_class\": {";
  for (size_t i = 0; i < classes.size(); ++i) {
    const auto& c = classes[i];
    out << (i ? ", " : "") << "\"" << json_escape(c.name) << "\": {\"AP\": " << json_number(c.ap)
        << ", \"AP_07\": " << json_number(c.ap07) << ", \"positives\": " << c.num_positives
        << ", \"detections\": " << c.num_detections << "}";
  }
  out << "}\n}\n";
  return out.str();
}

}  // namespace beyond::eval
