#include "beyond/eval/boundary_f_score.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "beyond/core/error.h"

namespace beyond::eval {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// 1 where the pixel's label differs from a 4-neighbour's inside the image.
std::vector<uint8_t> label_edges(const int64_t* labels, int64_t h, int64_t w) {
  std::vector<uint8_t> edge(static_cast<size_t>(h * w), 0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const int64_t i = y * w + x, v = labels[i];
      edge[i] = (x > 0 && labels[i - 1] != v) || (x + 1 < w && labels[i + 1] != v) ||
                (y > 0 && labels[i - w] != v) || (y + 1 < h && labels[i + w] != v);
    }
  return edge;
}

/// Offsets (dy, dx) within distance d, nearest first.
std::vector<std::pair<int64_t, int64_t>> disk(double d) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const auto r = static_cast<int64_t>(std::floor(d));
  for (int64_t dy = -r; dy <= r; ++dy)
    for (int64_t dx = -r; dx <= r; ++dx)
      if (static_cast<double>(dy * dy + dx * dx) <= d * d + 1e-9) out.emplace_back(dy, dx);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first * a.first + a.second * a.second < b.first * b.first + b.second * b.second;
  });
  return out;
}

}  // namespace

double BoundaryFScoreOptions::tolerance(int64_t height, int64_t width) const {
  if (tolerance_fraction_ > 0)
    return tolerance_fraction_ * std::sqrt(static_cast<double>(height * height + width * width));
  return tolerance_px_;
}

double BoundaryCounts::precision() const {
  return predicted == 0 ? 1.0 : static_cast<double>(predicted_matched) / static_cast<double>(predicted);
}
double BoundaryCounts::recall() const {
  return truth == 0 ? 1.0 : static_cast<double>(truth_matched) / static_cast<double>(truth);
}
double BoundaryCounts::f() const {
  const double p = precision(), r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

std::vector<BoundaryCounts> boundary_counts(const int64_t* prediction, const int64_t* ground_truth, int64_t h,
                                            int64_t w, int64_t num_classes, int64_t ignore, double tolerance,
                                            std::vector<bool>* appears, const std::string& where) {
  BEYOND_CHECK(h >= 0 && w >= 0, "boundary F-score: bad image size ", h, " x ", w);
  BEYOND_CHECK(tolerance >= 0, "boundary F-score: the tolerance must be >= 0 pixels, got ", tolerance);
  const auto C = num_classes;
  std::vector<bool> present(static_cast<size_t>(C), false);
  for (int64_t i = 0; i < h * w; ++i) {
    const int64_t g = ground_truth[i], p = prediction[i];
    const bool bad_gt = g != ignore && (g < 0 || g >= C);
    if (bad_gt || p < 0 || p >= C)
      throw Error(str("boundary F-score", where.empty() ? "" : " (" + where + ")", ": ",
                      bad_gt ? "ground-truth" : "predicted", " label ", bad_gt ? g : p, " at row ", i / std::max<int64_t>(w, 1),
                      ", column ", i % std::max<int64_t>(w, 1), " is outside 0..", C - 1,
                      bad_gt ? str(" and is not the ignore label ", ignore) : ""));
    if (g == ignore) continue;
    present[static_cast<size_t>(g)] = true;
    present[static_cast<size_t>(p)] = true;
  }
  const auto pred_edge = label_edges(prediction, h, w), gt_edge = label_edges(ground_truth, h, w);
  const auto offsets = disk(tolerance);
  // Is there a boundary pixel of class c in (edge, labels) within the tolerance of (y, x)?
  const auto near = [&](const std::vector<uint8_t>& edge, const int64_t* labels, int64_t y, int64_t x, int64_t c) {
    for (const auto& [dy, dx] : offsets) {
      const int64_t yy = y + dy, xx = x + dx;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      const int64_t j = yy * w + xx;
      if (edge[j] && labels[j] == c) return true;
    }
    return false;
  };
  std::vector<BoundaryCounts> counts(static_cast<size_t>(C));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const int64_t i = y * w + x;
      if (pred_edge[i] && ground_truth[i] != ignore) {
        auto& k = counts[static_cast<size_t>(prediction[i])];
        ++k.predicted;
        k.predicted_matched += near(gt_edge, ground_truth, y, x, prediction[i]);
      }
      if (gt_edge[i] && ground_truth[i] != ignore) {
        auto& k = counts[static_cast<size_t>(ground_truth[i])];
        ++k.truth;
        k.truth_matched += near(pred_edge, prediction, y, x, ground_truth[i]);
      }
    }
  if (appears) *appears = present;
  for (int64_t c = 0; c < C; ++c)
    if (!present[static_cast<size_t>(c)]) counts[static_cast<size_t>(c)] = {};
  return counts;
}

BoundaryFScoreEvaluator::BoundaryFScoreEvaluator(int64_t num_classes, int64_t ignore_label,
                                                 BoundaryFScoreOptions options)
    : num_classes_(num_classes), ignore_label_(ignore_label), options_(options) {
  BEYOND_CHECK(num_classes > 0 && num_classes <= 65536, "boundary F-score: num_classes must be in 1..65536, got ",
               num_classes);
  BEYOND_CHECK(ignore_label < 0 || ignore_label >= num_classes, "boundary F-score: the ignore label ", ignore_label,
               " is one of the classes 0..", num_classes - 1);
  BEYOND_CHECK(options.tolerance_px() >= 0 && options.tolerance_fraction() >= 0,
               "boundary F-score: tolerances must be >= 0");
  reset();
}

void BoundaryFScoreEvaluator::reset() {
  const auto C = static_cast<size_t>(num_classes_);
  f_sum_.assign(C, 0);
  p_sum_.assign(C, 0);
  r_sum_.assign(C, 0);
  appearances_.assign(C, 0);
  image_f_sum_ = 0;
  images_ = images_with_classes_ = 0;
}

template <typename T>
void BoundaryFScoreEvaluator::accumulate(const T* prediction, const T* ground_truth, int64_t h, int64_t w,
                                         const std::string& where) {
  std::vector<int64_t> p(prediction, prediction + h * w), g(ground_truth, ground_truth + h * w);
  std::vector<bool> present;
  const auto counts =
      boundary_counts(p.data(), g.data(), h, w, num_classes_, ignore_label_, options_.tolerance(h, w), &present, where);
  double f_sum = 0;
  int64_t n = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (!present[c]) continue;
    const double f = counts[c].f();
    f_sum_[c] += f;
    p_sum_[c] += counts[c].precision();
    r_sum_[c] += counts[c].recall();
    ++appearances_[c];
    f_sum += f;
    ++n;
  }
  ++images_;
  if (n > 0) {
    image_f_sum_ += f_sum / static_cast<double>(n);
    ++images_with_classes_;
  }
}

void BoundaryFScoreEvaluator::process(const uint8_t* prediction, const uint8_t* ground_truth, int64_t height,
                                      int64_t width, const std::string& where) {
  accumulate(prediction, ground_truth, height, width, where);
}

void BoundaryFScoreEvaluator::process(const int64_t* prediction, const int64_t* ground_truth, int64_t height,
                                      int64_t width, const std::string& where) {
  accumulate(prediction, ground_truth, height, width, where);
}

BoundaryFScoreResult BoundaryFScoreEvaluator::evaluate() const {
  BoundaryFScoreResult r;
  r.images = images_;
  double sum = 0;
  int64_t n = 0;
  for (size_t c = 0; c < f_sum_.size(); ++c) {
    const auto k = static_cast<double>(appearances_[c]);
    r.class_images.push_back(appearances_[c]);
    r.class_f.push_back(k > 0 ? f_sum_[c] / k : kNaN);
    r.class_precision.push_back(k > 0 ? p_sum_[c] / k : kNaN);
    r.class_recall.push_back(k > 0 ? r_sum_[c] / k : kNaN);
    if (k > 0) {
      sum += r.class_f.back();
      ++n;
    }
  }
  r.mean_f = n > 0 ? sum / static_cast<double>(n) : kNaN;
  r.image_mean_f = images_with_classes_ > 0 ? image_f_sum_ / static_cast<double>(images_with_classes_) : kNaN;
  return r;
}

std::string BoundaryFScoreResult::summary(const std::vector<std::string>& class_names) const {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "boundary F %.4f (mean over classes)  %.4f (mean over images)  (%lld images)\n",
                mean_f, image_mean_f, static_cast<long long>(images));
  out << line;
  std::snprintf(line, sizeof line, "%-16s %8s %8s %8s %7s\n", "class", "BF", "P", "R", "images");
  out << line;
  for (size_t c = 0; c < class_f.size(); ++c) {
    const auto name = c < class_names.size() ? class_names[c] : std::to_string(c);
    std::snprintf(line, sizeof line, "%-16s %8.4f %8.4f %8.4f %7lld\n", name.c_str(), class_f[c], class_precision[c],
                  class_recall[c], static_cast<long long>(class_images[c]));
    out << line;
  }
  return out.str();
}

}  // namespace beyond::eval
