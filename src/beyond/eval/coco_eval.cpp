#include "beyond/eval/coco_eval.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <numeric>
#include <sstream>

#include "beyond/core/error.h"
#include "beyond/eval/json_text.h"

namespace beyond::eval {

IouType parse_iou_type(const std::string& name) {
  if (name == "bbox") return IouType::Bbox;
  if (name == "segm") return IouType::Segm;
  if (name == "keypoints") return IouType::Keypoints;
  throw UsageError(str("unknown COCO evaluation type '", name, "'; use bbox, segm or keypoints"));
}

std::string to_string(IouType type) {
  switch (type) {
    case IouType::Bbox: return "bbox";
    case IouType::Segm: return "segm";
    case IouType::Keypoints: return "keypoints";
  }
  return "?";
}

std::vector<double> numpy_linspace(double start, double stop, int64_t num) {
  std::vector<double> y(static_cast<size_t>(std::max<int64_t>(num, 0)));
  if (num == 1) y[0] = start;
  if (num <= 1) return y;
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (int64_t i = 0; i < num; ++i) y[i] = static_cast<double>(i) * step + start;
  y.back() = stop;
  return y;
}

CocoParams CocoParams::defaults(IouType type) {
  CocoParams p;
  p.type = type;
  p.iou_thresholds = numpy_linspace(.5, 0.95, static_cast<int64_t>(std::round((0.95 - .5) / .05)) + 1);
  p.recall_thresholds = numpy_linspace(.0, 1.00, static_cast<int64_t>(std::round((1.00 - .0) / .01)) + 1);
  const double huge = 1e5 * 1e5;
  if (type == IouType::Keypoints) {
    p.max_dets = {20};
    p.area_ranges = {{0, huge}, {32 * 32, 96 * 96}, {96 * 96, huge}};
    p.area_labels = {"all", "medium", "large"};
  } else {
    p.max_dets = {1, 10, 100};
    p.area_ranges = {{0, huge}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, huge}};
    p.area_labels = {"all", "small", "medium", "large"};
  }
  for (double s : {.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89})
    p.keypoint_sigmas.push_back(s / 10.0);
  return p;
}

namespace {

/// One (category, area range, image) cell after matching: COCOeval's evalImgs entry, reduced to
/// what accumulate() reads (only pairs with annotations or detections have cells: COCOeval's None
/// entries have none). Detections are in score order, cut to the largest maxDets.
enum : uint8_t { kIgnored = 0, kFalsePositive = 1, kTruePositive = 2 };

struct Cell {
  int64_t num_gt = 0;  // ground truth not ignored (npig's share)
  std::vector<double> scores;
  /// [D][T]: kIgnored, kFalsePositive or kTruePositive (matched to a gt whose id is nonzero)
  std::vector<uint8_t> status;
};

/// Cells of the (category, image) pairs that have annotations or detections (most pairs of a large
/// dataset have neither), A area ranges each.
struct CellTable {
  std::vector<int64_t> slot;  // [K * I]: index of the pair's first cell, or -1
  std::vector<Cell> cells;
  const Cell* find(size_t pair, size_t a) const {
    return slot[pair] < 0 ? nullptr : &cells[static_cast<size_t>(slot[pair]) + a];
  }
};

/// Object keypoint similarity of every detection with every ground truth ([D][G]), COCO's
/// computeOks: visible gt keypoints only, or, for a gt without labelled keypoints, the distance to
/// a box twice the gt's size; area from the ground truth.
std::vector<double> oks(const std::vector<const coco::Annotation*>& dts, const std::vector<const coco::Annotation*>& gts,
                        const std::vector<double>& sigmas) {
  const size_t D = dts.size(), G = gts.size(), K = sigmas.size();
  std::vector<double> out;
  if (D == 0 || G == 0) return out;
  out.assign(D * G, 0.0);
  std::vector<double> vars(K);
  for (size_t k = 0; k < K; ++k) vars[k] = (sigmas[k] * 2) * (sigmas[k] * 2);
  for (size_t j = 0; j < G; ++j) {
    const auto& g = *gts[j];
    BEYOND_CHECK(g.keypoints.size() == 3 * K, "keypoints evaluation: ground-truth annotation ", g.id, " has ",
                 g.keypoints.size(), " keypoint values, expected ", 3 * K, " (x, y, v for ", K, " keypoints)");
    size_t k1 = 0;
    for (size_t k = 0; k < K; ++k) k1 += g.keypoints[3 * k + 2] > 0;
    const auto& bb = g.bbox;
    const double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
    const double y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
    for (size_t i = 0; i < D; ++i) {
      const auto& d = dts[i]->keypoints;
      BEYOND_CHECK(d.size() == 3 * K, "keypoints evaluation: detection ", dts[i]->id, " (image ", dts[i]->image_id,
                   ") has ", d.size(), " keypoint values, expected ", 3 * K);
      double sum = 0;
      for (size_t k = 0; k < K; ++k) {
        const double xd = d[3 * k], yd = d[3 * k + 1];
        double dx, dy;
        if (k1 > 0) {
          if (!(g.keypoints[3 * k + 2] > 0)) continue;
          dx = xd - g.keypoints[3 * k];
          dy = yd - g.keypoints[3 * k + 1];
        } else {
          dx = std::max(0.0, x0 - xd) + std::max(0.0, xd - x1);
          dy = std::max(0.0, y0 - yd) + std::max(0.0, yd - y1);
        }
        const double e = (dx * dx + dy * dy) / vars[k] / (g.area + DBL_EPSILON) / 2;
        sum += std::exp(-e);
      }
      out[i * G + j] = sum / static_cast<double>(k1 > 0 ? k1 : K);
    }
  }
  return out;
}

/// The IoU (or OKS) matrix [D][G] of one cell, detections in score order.
std::vector<double> cell_ious(const CocoParams& p, const coco::Dataset& gt, const std::vector<const coco::Annotation*>& dts,
                              const std::vector<const coco::Annotation*>& gts) {
  if (p.type == IouType::Keypoints) return oks(dts, gts, p.keypoint_sigmas);
  if (dts.empty() || gts.empty()) return {};
  std::vector<uint8_t> crowd(gts.size());
  for (size_t j = 0; j < gts.size(); ++j) crowd[j] = gts[j]->iscrowd;
  if (p.type == IouType::Bbox) {
    std::vector<mask::Box> d(dts.size()), g(gts.size());
    for (size_t i = 0; i < dts.size(); ++i) d[i] = dts[i]->bbox;
    for (size_t j = 0; j < gts.size(); ++j) g[j] = gts[j]->bbox;
    return mask::box_iou(d, g, crowd);
  }
  const auto& image = gt.images.at(static_cast<size_t>(gt.image_index(gts[0]->image_id)));
  std::vector<mask::Rle> d(dts.size()), g(gts.size());
  for (size_t i = 0; i < dts.size(); ++i) d[i] = coco::to_rle(*dts[i], image.height, image.width);
  for (size_t j = 0; j < gts.size(); ++j) g[j] = coco::to_rle(*gts[j], image.height, image.width);
  return mask::iou(d, g, crowd);
}

/// COCOeval.evaluateImg for every area range of one (image, category).
void evaluate_cell(const CocoParams& p, const std::vector<const coco::Annotation*>& gts,
                   const std::vector<const coco::Annotation*>& dts, const std::vector<double>& ious,
                   std::vector<Cell*>& out) {
  const size_t T = p.iou_thresholds.size(), D = dts.size(), G = gts.size();
  std::vector<uint8_t> base_ignore(G);
  for (size_t j = 0; j < G; ++j)
    base_ignore[j] = gts[j]->iscrowd || (p.type == IouType::Keypoints && gts[j]->num_keypoints == 0);
  std::vector<size_t> order(G);
  std::vector<uint8_t> ig(G), gt_matched(T * G), matched, ignored;
  for (size_t a = 0; a < p.area_ranges.size(); ++a) {
    const double lo = p.area_ranges[a][0], hi = p.area_ranges[a][1];
    Cell& cell = *out[a];
    // ground truth not ignored first (stable)
    std::vector<uint8_t> raw(G);
    for (size_t j = 0; j < G; ++j) raw[j] = base_ignore[j] || gts[j]->area < lo || gts[j]->area > hi;
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return raw[x] < raw[y]; });
    cell.num_gt = 0;
    for (size_t j = 0; j < G; ++j) {
      ig[j] = raw[order[j]];
      cell.num_gt += !ig[j];
    }
    cell.scores.resize(D);
    for (size_t i = 0; i < D; ++i) cell.scores[i] = dts[i]->score;
    matched.assign(T * D, 0);
    ignored.assign(T * D, 0);
    std::fill(gt_matched.begin(), gt_matched.end(), 0);
    if (!ious.empty()) {
      for (size_t t = 0; t < T; ++t) {
        for (size_t i = 0; i < D; ++i) {
          double best = std::min(p.iou_thresholds[t], 1 - 1e-10);
          int64_t m = -1;
          for (size_t j = 0; j < G; ++j) {
            const auto* g = gts[order[j]];
            if (gt_matched[t * G + j] && !g->iscrowd) continue;
            if (m > -1 && !ig[static_cast<size_t>(m)] && ig[j]) break;
            const double v = ious[i * G + order[j]];
            if (v < best) continue;
            best = v;
            m = static_cast<int64_t>(j);
          }
          if (m == -1) continue;
          const auto mj = static_cast<size_t>(m);
          ignored[t * D + i] = ig[mj];
          matched[t * D + i] = gts[order[mj]]->id != 0;
          gt_matched[t * G + mj] = 1;
        }
      }
    }
    cell.status.resize(D * T);
    for (size_t i = 0; i < D; ++i) {
      const bool outside = dts[i]->area < lo || dts[i]->area > hi;
      for (size_t t = 0; t < T; ++t) {
        const bool m = matched[t * D + i], ign = ignored[t * D + i] || (outside && !m);
        cell.status[i * T + t] = ign ? kIgnored : m ? kTruePositive : kFalsePositive;
      }
    }
  }
}

/// COCOeval.accumulate for one category: fills precision[:, :, k, :, :] and recall[:, k, :, :].
/// The detections' order (a stable sort on score over the images in id order) is the same for every
/// area range, so it is computed once per maxDets.
void accumulate_category(const CocoParams& p, const CellTable& table, size_t k, size_t I, size_t K,
                         std::vector<double>& precision, std::vector<double>& recall) {
  const size_t T = p.iou_thresholds.size(), R = p.recall_thresholds.size(), A = p.area_ranges.size(),
               M = p.max_dets.size();
  struct Ref {
    double score;
    uint32_t image, d;
  };
  std::vector<Ref> refs;
  std::vector<uint8_t> status;  // [T][nd]: the detections' status in score order
  std::vector<double> rc, pr;
  for (size_t m = 0; m < M; ++m) {
    const auto max_det = static_cast<size_t>(p.max_dets[m]);
    refs.clear();
    bool any = false;
    for (size_t i = 0; i < I; ++i) {
      const Cell* cell = table.find(k * I + i, 0);
      if (!cell) continue;
      const Cell& c = *cell;
      any = true;
      for (size_t d = 0; d < std::min(c.scores.size(), max_det); ++d)
        refs.push_back({c.scores[d], static_cast<uint32_t>(i), static_cast<uint32_t>(d)});
    }
    if (!any) continue;
    std::stable_sort(refs.begin(), refs.end(), [](const Ref& x, const Ref& y) { return x.score > y.score; });
    const size_t nd = refs.size();
    for (size_t a = 0; a < A; ++a) {
      int64_t npig = 0;
      for (size_t i = 0; i < I; ++i)
        if (const Cell* c = table.find(k * I + i, a)) npig += c->num_gt;
      if (npig == 0) continue;
      status.resize(T * nd);
      for (size_t j = 0; j < nd; ++j) {
        const uint8_t* st = &table.find(k * I + refs[j].image, a)->status[refs[j].d * T];
        for (size_t t = 0; t < T; ++t) status[t * nd + j] = st[t];
      }
      for (size_t t = 0; t < T; ++t) {
        // COCOeval computes recall and precision after every detection, takes the precision
        // envelope, and reads it at the first detection whose recall reaches each threshold. Recall
        // only rises at true positives and precision only rises there too, so the same numbers come
        // from the true positives alone (same divisions, bit for bit): the first one reaching a
        // threshold, and the maximum precision from it on.
        double tps = 0, fps = 0;
        rc.clear();
        pr.clear();
        const uint8_t* st = &status[t * nd];
        for (size_t j = 0; j < nd; ++j) {
          if (st[j] != kTruePositive) {
            fps += st[j];  // kFalsePositive = 1, kIgnored = 0
            continue;
          }
          tps += 1;
          rc.push_back(tps / static_cast<double>(npig));
          pr.push_back(tps / (fps + tps + DBL_EPSILON));
        }
        recall[((t * K + k) * A + a) * M + m] = nd ? tps / static_cast<double>(npig) : 0;
        for (size_t j = pr.size(); j-- > 1;)
          if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
        for (size_t ri = 0; ri < R; ++ri) {
          const auto pi = static_cast<size_t>(
              std::lower_bound(rc.begin(), rc.end(), p.recall_thresholds[ri]) - rc.begin());
          precision[(((t * R + ri) * K + k) * A + a) * M + m] = pi < rc.size() ? pr[pi] : 0;
        }
      }
    }
  }
}

/// Mean of the entries > -1, or -1 if there are none (summarize()'s rule).
double mean_valid(const std::vector<double>& v) {
  double sum = 0;
  int64_t n = 0;
  for (double x : v)
    if (x > -1) {
      sum += x;
      ++n;
    }
  return n ? sum / static_cast<double>(n) : -1;
}

/// (category, image) pairs from which evaluate_coco uses OpenMP threads.
constexpr int64_t kParallelPairs = 4096;

struct StatSpec {
  bool ap;
  double iou;  // < 0: all thresholds
  std::string area;
  int64_t max_dets;
  std::string name;
};

std::vector<StatSpec> stat_specs(const CocoParams& p) {
  if (p.type == IouType::Keypoints)
    return {{true, -1, "all", 20, "AP"},         {true, .5, "all", 20, "AP50"},   {true, .75, "all", 20, "AP75"},
            {true, -1, "medium", 20, "APm"},     {true, -1, "large", 20, "APl"},  {false, -1, "all", 20, "AR"},
            {false, .5, "all", 20, "AR50"},      {false, .75, "all", 20, "AR75"}, {false, -1, "medium", 20, "ARm"},
            {false, -1, "large", 20, "ARl"}};
  auto md = [&](size_t i) { return i < p.max_dets.size() ? p.max_dets[i] : -1; };
  return {{true, -1, "all", md(2), "AP"},        {true, .5, "all", md(2), "AP50"},    {true, .75, "all", md(2), "AP75"},
          {true, -1, "small", md(2), "APs"},     {true, -1, "medium", md(2), "APm"},  {true, -1, "large", md(2), "APl"},
          {false, -1, "all", md(0), "AR1"},      {false, -1, "all", md(1), "AR10"},   {false, -1, "all", md(2), "AR100"},
          {false, -1, "small", md(2), "ARs"},    {false, -1, "medium", md(2), "ARm"}, {false, -1, "large", md(2), "ARl"}};
}

/// summarize()'s _summarize: the mean over the selected slice of precision or recall.
double summarize_one(const CocoResult& r, const StatSpec& s) {
  const auto& p = r.params;
  const size_t T = p.iou_thresholds.size(), R = p.recall_thresholds.size(), K = r.category_ids.size(),
               A = p.area_ranges.size(), M = p.max_dets.size();
  std::vector<double> sel;
  for (size_t t = 0; t < T; ++t) {
    if (s.iou >= 0 && !(p.iou_thresholds[t] == s.iou)) continue;
    for (size_t a = 0; a < A; ++a) {
      if (p.area_labels[a] != s.area) continue;
      for (size_t m = 0; m < M; ++m) {
        if (p.max_dets[m] != s.max_dets) continue;
        for (size_t k = 0; k < K; ++k) {
          if (s.ap)
            for (size_t ri = 0; ri < R; ++ri) sel.push_back(r.precision_at(t, ri, k, a, m));
          else
            sel.push_back(r.recall_at(t, k, a, m));
        }
      }
    }
  }
  return mean_valid(sel);
}

}  // namespace

double CocoResult::precision_at(size_t t, size_t r, size_t k, size_t a, size_t m) const {
  const size_t R = params.recall_thresholds.size(), K = category_ids.size(), A = params.area_ranges.size(),
               M = params.max_dets.size();
  return precision[(((t * R + r) * K + k) * A + a) * M + m];
}

double CocoResult::recall_at(size_t t, size_t k, size_t a, size_t m) const {
  const size_t K = category_ids.size(), A = params.area_ranges.size(), M = params.max_dets.size();
  return recall[((t * K + k) * A + a) * M + m];
}

std::vector<std::string> CocoResult::stat_names() const {
  std::vector<std::string> names;
  for (const auto& s : stat_specs(params)) names.push_back(s.name);
  return names;
}

std::string CocoResult::summary() const {
  std::ostringstream out;
  const auto specs = stat_specs(params);
  char iou_all[32];
  std::snprintf(iou_all, sizeof iou_all, "%0.2f:%0.2f", params.iou_thresholds.front(), params.iou_thresholds.back());
  for (size_t i = 0; i < specs.size() && i < stats.size(); ++i) {
    const auto& s = specs[i];
    char iou[32], line[160];
    if (s.iou < 0)
      std::snprintf(iou, sizeof iou, "%s", iou_all);
    else
      std::snprintf(iou, sizeof iou, "%0.2f", s.iou);
    std::snprintf(line, sizeof line, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3lld ] = %0.3f\n",
                  s.ap ? "Average Precision" : "Average Recall", s.ap ? "(AP)" : "(AR)", iou, s.area.c_str(),
                  static_cast<long long>(s.max_dets), stats[i]);
    out << line;
  }
  return out.str();
}

std::string CocoResult::to_json() const {
  std::ostringstream out;
  out << "{\n  \"type\": \"" << to_string(params.type) << "\",\n  \"num_images\": " << num_images
      << ",\n  \"stats\": {";
  const auto names = stat_names();
  for (size_t i = 0; i < stats.size(); ++i)
    out << (i ? ", " : "") << "\"" << names[i] << "\": " << json_number(stats[i]);
  out << "},\n  \"per_category\": {";
  for (size_t k = 0; k < category_ids.size(); ++k)
    out << (k ? ", " : "") << "\"" << json_escape(category_names[k].empty() ? std::to_string(category_ids[k]) : category_names[k])
        << "\": " << json_number(category_ap[k]);
  out << "}\n}\n";
  return out.str();
}

CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections, IouType type) {
  std::vector<int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  return evaluate_coco(gt, detections, CocoParams::defaults(type), ids);
}

CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections, IouType type,
                         const std::vector<int64_t>& image_ids) {
  return evaluate_coco(gt, detections, CocoParams::defaults(type), image_ids);
}

CocoResult evaluate_coco(const coco::Dataset& gt, const std::vector<coco::Annotation>& detections,
                         const CocoParams& params, const std::vector<int64_t>& image_ids) {
  CocoResult r;
  r.params = params;
  auto& p = r.params;
  std::sort(p.max_dets.begin(), p.max_dets.end());
  BEYOND_CHECK(!p.max_dets.empty() && !p.iou_thresholds.empty() && !p.area_ranges.empty() &&
                   p.area_labels.size() == p.area_ranges.size(),
               "COCO evaluation parameters: need IoU thresholds, max detections and labelled area ranges");

  // images (sorted, unique) and categories (sorted by id), as COCOeval's params
  std::vector<int64_t> images(image_ids);
  std::sort(images.begin(), images.end());
  images.erase(std::unique(images.begin(), images.end()), images.end());
  for (int64_t id : images)
    BEYOND_CHECK(gt.image_index(id) >= 0, "COCO evaluation: image id ", id, " is not in the ground truth");
  std::vector<std::pair<int64_t, std::string>> cats;
  for (const auto& c : gt.categories) cats.emplace_back(c.id, c.name);
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end(), [](const auto& x, const auto& y) { return x.first == y.first; }),
             cats.end());
  for (const auto& [id, name] : cats) {
    r.category_ids.push_back(id);
    r.category_names.push_back(name);
  }
  const size_t I = images.size(), K = cats.size(), A = p.area_ranges.size(), T = p.iou_thresholds.size(),
               R = p.recall_thresholds.size(), M = p.max_dets.size();
  r.num_images = static_cast<int64_t>(I);

  std::unordered_map<int64_t, size_t> image_pos, cat_pos;
  for (size_t i = 0; i < I; ++i) image_pos[images[i]] = i;
  for (size_t k = 0; k < K; ++k) cat_pos[r.category_ids[k]] = k;
  // annotations per (category, image) cell, in file order
  std::vector<std::vector<const coco::Annotation*>> gt_cells(K * I), dt_cells(K * I);
  auto place = [&](const std::vector<coco::Annotation>& anns, auto& cells) {
    for (const auto& a : anns) {
      auto ii = image_pos.find(a.image_id);
      auto kk = cat_pos.find(a.category_id);
      if (ii == image_pos.end() || kk == cat_pos.end()) continue;
      cells[kk->second * I + ii->second].push_back(&a);
    }
  };
  place(gt.annotations, gt_cells);
  place(detections, dt_cells);

  CellTable table;
  table.slot.assign(K * I, -1);
  std::vector<size_t> pairs;
  for (size_t c = 0; c < K * I; ++c)
    if (!gt_cells[c].empty() || !dt_cells[c].empty()) {
      table.slot[c] = static_cast<int64_t>(pairs.size() * A);
      pairs.push_back(c);
    }
  table.cells.resize(pairs.size() * A);
  const auto max_det = static_cast<size_t>(p.max_dets.back());
  const auto n_pairs = static_cast<int64_t>(pairs.size());
  std::string error;
  // Threads only pay off on large sets: on small ones (and on busy cores) starting and syncing the
  // OpenMP team costs more than the work (300 images x 30 boxes: 5 ms on one thread, 20-50 ms on two).
  const bool parallel = n_pairs >= kParallelPairs;
#pragma omp parallel for schedule(dynamic, 8) if (parallel)
  for (int64_t n = 0; n < n_pairs; ++n) {
    const size_t c = pairs[static_cast<size_t>(n)];
    const auto& gts = gt_cells[c];
    auto dts = dt_cells[c];
    try {
      std::stable_sort(dts.begin(), dts.end(),
                       [](const coco::Annotation* x, const coco::Annotation* y) { return x->score > y->score; });
      if (dts.size() > max_det) dts.resize(max_det);
      const auto ious = cell_ious(p, gt, dts, gts);
      std::vector<Cell*> out(A);
      for (size_t a = 0; a < A; ++a) out[a] = &table.cells[static_cast<size_t>(table.slot[c]) + a];
      evaluate_cell(p, gts, dts, ious, out);
    } catch (const std::exception& e) {
#pragma omp critical(beyond_coco_eval_error)
      if (error.empty()) error = e.what();
    }
  }
  if (!error.empty()) throw Error(error);

  r.precision.assign(T * R * K * A * M, -1.0);
  r.recall.assign(T * K * A * M, -1.0);
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t k = 0; k < static_cast<int64_t>(K); ++k)
    accumulate_category(p, table, static_cast<size_t>(k), I, K, r.precision, r.recall);

  for (const auto& s : stat_specs(p)) r.stats.push_back(summarize_one(r, s));
  for (size_t k = 0; k < K; ++k) {
    std::vector<double> v;
    for (size_t t = 0; t < T; ++t)
      for (size_t ri = 0; ri < R; ++ri) v.push_back(r.precision_at(t, ri, k, 0, M - 1));
    r.category_ap.push_back(mean_valid(v));
  }
  return r;
}

void complete_detections(std::vector<coco::Annotation>& detections, const coco::Dataset& gt, int64_t first_id) {
  for (auto& d : detections) {
    d.id = first_id++;
    d.iscrowd = false;
    const auto& box = d.bbox;
    if (box[2] != 0 || box[3] != 0) {
      d.area = box[2] * box[3];
    } else if (d.segmentation.kind != coco::Segmentation::Kind::None) {
      const auto index = gt.image_index(d.image_id);
      BEYOND_CHECK(index >= 0, "detection ", d.id, ": image id ", d.image_id, " is not in the ground truth");
      const auto& im = gt.images[static_cast<size_t>(index)];
      const auto rle = coco::to_rle(d, im.height, im.width);
      d.area = static_cast<double>(mask::area(rle));
      d.bbox = mask::to_box(rle);
    } else if (d.keypoints.size() >= 3) {
      d.bbox = coco::keypoints_extent(d.keypoints);
      d.area = d.bbox[2] * d.bbox[3];
    }
  }
}

CocoEvaluator::CocoEvaluator(std::shared_ptr<const coco::Dataset> gt, IouType type) : gt_(std::move(gt)), type_(type) {
  BEYOND_CHECK(gt_ != nullptr, "CocoEvaluator needs a ground-truth dataset");
}

void CocoEvaluator::reset() {
  detections_.clear();
  image_ids_.clear();
}

void CocoEvaluator::process(int64_t image_id, std::vector<coco::Annotation> detections) {
  BEYOND_CHECK(gt_->image_index(image_id) >= 0, "CocoEvaluator::process: image id ", image_id,
               " is not in the ground-truth dataset");
  for (auto& d : detections) d.image_id = image_id;
  complete_detections(detections, *gt_, static_cast<int64_t>(detections_.size()) + 1);
  image_ids_.insert(image_id);
  detections_.insert(detections_.end(), std::make_move_iterator(detections.begin()),
                     std::make_move_iterator(detections.end()));
}

CocoResult CocoEvaluator::evaluate() const {
  return evaluate_coco(*gt_, detections_, CocoParams::defaults(type_),
                       std::vector<int64_t>(image_ids_.begin(), image_ids_.end()));
}

}  // namespace beyond::eval
