#include "beyond/data/mask/rle.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "beyond/core/error.h"

namespace beyond::mask {
namespace {

/// Ones intervals [begin, end) in column-major pixel order: the form IoU and intersection work on.
using Intervals = std::vector<std::pair<uint64_t, uint64_t>>;

Intervals ones_intervals(const Rle& rle) {
  Intervals out;
  out.reserve(rle.counts.size() / 2);
  uint64_t pos = 0;
  for (size_t j = 0; j < rle.counts.size(); ++j) {
    const uint64_t c = rle.counts[j];
    if ((j & 1) && c > 0) out.emplace_back(pos, pos + c);
    pos += c;
  }
  return out;
}

uint64_t intersection(const Intervals& a, const Intervals& b) {
  uint64_t inter = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint64_t lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (lo < hi) inter += hi - lo;
    if (a[i].second < b[j].second) ++i; else ++j;
  }
  return inter;
}

/// Appends a run to canonical counts: a run of the same value as the last one is folded into it,
/// and empty runs vanish (the leading zeros run is always present, possibly 0).
void push_run(std::vector<uint32_t>& counts, bool value, uint64_t length) {
  if (length == 0) return;
  const bool last_value = counts.size() % 2 == 0;  // even indices hold zeros runs
  if (!counts.empty() && last_value == value) {
    counts.back() += static_cast<uint32_t>(length);
    return;
  }
  if (counts.empty() && value) counts.push_back(0);
  counts.push_back(static_cast<uint32_t>(length));
}

Rle merge_two(const Rle& a, const Rle& b, bool intersect) {
  Rle out{a.height, a.width, {}};
  out.counts.reserve(std::max(a.counts.size(), b.counts.size()) + 2);
  size_t ia = 0, ib = 0;
  uint64_t ra = a.counts.empty() ? 0 : a.counts[0], rb = b.counts.empty() ? 0 : b.counts[0];
  const uint64_t total = static_cast<uint64_t>(a.height) * static_cast<uint64_t>(a.width);
  uint64_t done = 0;
  while (done < total) {
    // Skip exhausted (or empty) runs; both masks sum to `total`, so neither runs out early.
    while (ra == 0 && ia + 1 < a.counts.size()) ra = a.counts[++ia];
    while (rb == 0 && ib + 1 < b.counts.size()) rb = b.counts[++ib];
    if (ra == 0 || rb == 0) break;  // inconsistent sums (validated by callers); stop safely
    const uint64_t c = std::min(ra, rb);
    const bool va = ia & 1, vb = ib & 1;
    push_run(out.counts, intersect ? (va && vb) : (va || vb), c);
    ra -= c;
    rb -= c;
    done += c;
  }
  if (out.counts.empty()) out.counts.push_back(0);
  return out;
}

/// COCO's counts are 32-bit: a mask has at most 2^32 - 1 pixels. Also keeps h * w from overflowing.
void check_size(int64_t height, int64_t width, const std::string& where) {
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  BEYOND_CHECK(height >= 0 && width >= 0 && height <= kMax && width <= kMax && height * width <= kMax, where,
               ": mask size [", height, ", ", width, "] is negative or over 2^32 - 1 pixels (COCO's RLE limit)");
}

void check_same_size(const Rle& a, const Rle& b, const char* what) {
  BEYOND_CHECK(a.height == b.height && a.width == b.width, what, ": masks of different sizes ", a.height, "x",
               a.width, " and ", b.height, "x", b.width, " (all masks must be of one image size)");
}

}  // namespace

bool operator==(const Rle& a, const Rle& b) {
  return a.height == b.height && a.width == b.width && a.counts == b.counts;
}

Rle encode(const uint8_t* mask, int64_t height, int64_t width) {
  check_size(height, width, "mask::encode");
  Rle rle{height, width, {}};
  bool value = false;
  uint64_t run = 0;
  for (int64_t x = 0; x < width && height > 0; ++x) {
    const uint8_t* column = mask + x;
    for (int64_t y = 0; y < height; ++y) {
      const bool v = column[y * width] != 0;
      if (v != value) {
        rle.counts.push_back(static_cast<uint32_t>(run));
        run = 0;
        value = v;
      }
      ++run;
    }
  }
  rle.counts.push_back(static_cast<uint32_t>(run));
  return rle;
}

std::vector<uint8_t> decode(const Rle& rle) {
  const uint64_t h = static_cast<uint64_t>(rle.height), w = static_cast<uint64_t>(rle.width);
  std::vector<uint8_t> mask(h * w, 0);
  uint64_t pos = 0;
  for (size_t j = 0; j < rle.counts.size(); ++j) {
    const uint64_t end = std::min<uint64_t>(pos + rle.counts[j], h * w);
    if (j & 1) {
      // Fill column by column: the run is contiguous in column-major order.
      for (uint64_t p = pos; p < end;) {
        const uint64_t x = p / h, y0 = p % h, y1 = std::min<uint64_t>(h, y0 + (end - p));
        for (uint64_t y = y0; y < y1; ++y) mask[y * w + x] = 1;
        p += y1 - y0;
      }
    }
    pos = end;
  }
  return mask;
}

std::string to_string(const Rle& rle) {
  // COCO's code: each count (from the fourth on, as the difference to the count two before) is
  // written as a signed number in 5-bit groups, least significant first; a group is one character
  // '0' + bits, with 0x20 set when more groups follow. The last group's 0x10 bit is the sign.
  std::string s;
  s.reserve(rle.counts.size() * 2);
  for (size_t i = 0; i < rle.counts.size(); ++i) {
    int64_t x = rle.counts[i];
    if (i > 2) x -= static_cast<int64_t>(rle.counts[i - 2]);
    bool more = true;
    while (more) {
      char c = static_cast<char>(x & 0x1f);
      x >>= 5;  // arithmetic shift: keeps the sign
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s.push_back(static_cast<char>(c + 48));
    }
  }
  return s;
}

Rle from_string(const std::string& counts, int64_t height, int64_t width, const std::string& where) {
  check_size(height, width, where);
  Rle rle{height, width, {}};
  rle.counts.reserve(counts.size());
  size_t p = 0;
  while (p < counts.size()) {
    const size_t start = p;
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      BEYOND_CHECK(p < counts.size(), where, ": RLE counts string ends inside a number (byte ", start,
                   "); the string is truncated");
      const int c = static_cast<unsigned char>(counts[p]) - 48;
      BEYOND_CHECK(c >= 0 && c < 64, where, ": RLE counts string has the invalid character '", counts[p],
                   "' at byte ", p, " (COCO's encoding uses characters '0' to 'o')");
      BEYOND_CHECK(k < 7, where, ": RLE counts string has an over-long number at byte ", start);
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x -= int64_t{1} << (5 * k);  // sign-extend
    }
    if (rle.counts.size() > 2) x += rle.counts[rle.counts.size() - 2];
    BEYOND_CHECK(x >= 0 && x <= std::numeric_limits<uint32_t>::max(), where,
                 ": RLE counts string decodes to the invalid run length ", x, " (run ", rle.counts.size(),
                 ", byte ", start, ")");
    rle.counts.push_back(static_cast<uint32_t>(x));
  }
  validate(rle, where);
  return rle;
}

void validate(const Rle& rle, const std::string& where) {
  check_size(rle.height, rle.width, where);
  uint64_t sum = 0;
  for (uint32_t c : rle.counts) sum += c;
  const uint64_t expected = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  BEYOND_CHECK(sum == expected, where, ": RLE counts sum to ", sum, " but the size [", rle.height, ", ",
               rle.width, "] needs height * width = ", expected, " (the mask is damaged or its size is wrong)");
}

Rle from_polygon(const std::vector<double>& xy, int64_t height, int64_t width) {
  BEYOND_CHECK(xy.size() % 2 == 0 && xy.size() >= 6,
               "polygon needs at least 3 points (6 numbers x0, y0, x1, y1, ...), got ", xy.size(), " numbers");
  check_size(height, width, "polygon mask");
  for (double v : xy)
    BEYOND_CHECK(std::isfinite(v) && std::abs(v) <= kMaxPolygonCoordinate, "polygon coordinate ", v,
                 " is not finite or beyond +-", kMaxPolygonCoordinate);
  // COCO's rasteriser: the polygon is scaled by 5 and its edges walked one step at a time on that
  // fine grid; wherever the walk crosses a pixel column's centre line, the first pixel centre at
  // or below the crossing toggles inside/outside. Integer truncations are C's (towards zero).
  constexpr double kScale = 5;
  const size_t k = xy.size() / 2;
  std::vector<int> px(k + 1), py(k + 1);
  for (size_t j = 0; j < k; ++j) {
    px[j] = static_cast<int>(kScale * xy[2 * j] + .5);
    py[j] = static_cast<int>(kScale * xy[2 * j + 1] + .5);
  }
  px[k] = px[0];
  py[k] = py[0];

  const int64_t h = height, w = width;
  std::vector<uint64_t> toggles;  // column-major positions x * h + y
  bool have_prev = false;
  int prev_u = 0, prev_v = 0;
  auto visit = [&](int u, int v) {
    if (have_prev && u != prev_u) {
      double xd = u < prev_u ? u : u - 1;
      xd = (xd + .5) / kScale - .5;
      if (std::floor(xd) == xd && xd >= 0 && xd <= static_cast<double>(w - 1)) {
        double yd = v < prev_v ? v : prev_v;
        yd = (yd + .5) / kScale - .5;
        yd = std::ceil(std::clamp(yd, 0.0, static_cast<double>(h)));
        toggles.push_back(static_cast<uint64_t>(xd) * static_cast<uint64_t>(h) + static_cast<uint64_t>(yd));
      }
    }
    have_prev = true;
    prev_u = u;
    prev_v = v;
  };
  for (size_t j = 0; j < k; ++j) {
    int xs = px[j], xe = px[j + 1], ys = py[j], ye = py[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    if (dx >= dy) {
      // A zero-length edge (dx = dy = 0) has one point, at the same column as its neighbours, so
      // its row is never used; COCO computes it from 0/0, here it is simply ys.
      const double s = dx == 0 ? 0.0 : static_cast<double>(ye - ys) / dx;
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        visit(t + xs, static_cast<int>(ys + s * t + .5));
      }
    } else {
      const double s = static_cast<double>(xe - xs) / dy;
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        visit(static_cast<int>(xs + s * t + .5), t + ys);
      }
    }
  }

  // Sorted toggle positions -> runs; toggles at the same position cancel in pairs.
  const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
  toggles.push_back(total);
  std::sort(toggles.begin(), toggles.end());
  Rle rle{height, width, {}};
  rle.counts.reserve(toggles.size());
  uint64_t prev = 0;
  std::vector<uint32_t>& out = rle.counts;
  out.push_back(0);
  for (size_t j = 0; j < toggles.size(); ++j) {
    const uint64_t run = toggles[j] - prev;
    prev = toggles[j];
    out.back() += static_cast<uint32_t>(run);
    if (j + 1 == toggles.size()) break;  // the end marker
    // Toggle: start a new run, unless the current one is empty and can be undone instead.
    if (out.back() == 0 && out.size() > 1) {
      out.pop_back();
    } else {
      out.push_back(0);
    }
  }
  if (out.size() > 1 && out.back() == 0) out.pop_back();
  return rle;
}

Rle from_polygons(const std::vector<std::vector<double>>& polygons, int64_t height, int64_t width) {
  std::vector<Rle> parts;
  parts.reserve(polygons.size());
  for (const auto& p : polygons) parts.push_back(from_polygon(p, height, width));
  if (parts.empty()) {
    check_size(height, width, "polygon mask");
    return Rle{height, width, {static_cast<uint32_t>(height * width)}};
  }
  return merge(parts);
}

Rle from_box(const Box& box, int64_t height, int64_t width) {
  // Clipping to one pixel around the image changes nothing (each axis of a box selects the pixel
  // centres strictly between its rounded sides) and keeps any finite box within the rasteriser's range.
  const auto clip = [](double v, int64_t size) { return std::clamp(v, -1.0, static_cast<double>(size) + 1); };
  const double xs = clip(box[0], width), ys = clip(box[1], height);
  const double xe = clip(box[0] + box[2], width), ye = clip(box[1] + box[3], height);
  return from_polygon({xs, ys, xs, ye, xe, ye, xe, ys}, height, width);
}

uint64_t area(const Rle& rle) {
  uint64_t a = 0;
  for (size_t j = 1; j < rle.counts.size(); j += 2) a += rle.counts[j];
  return a;
}

Box to_box(const Rle& rle) {
  const uint64_t h = static_cast<uint64_t>(rle.height), w = static_cast<uint64_t>(rle.width);
  const size_t m = rle.counts.size() / 2 * 2;
  if (m == 0 || h == 0) return {0, 0, 0, 0};
  // COCO's rule: the box spans the first and last pixel of each ones run; a run that wraps into
  // the next column covers every row.
  uint64_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
  for (size_t j = 0; j < m; ++j) {
    cc += rle.counts[j];
    const uint64_t t = cc - (j % 2), y = t % h, x = t / h;
    if (j % 2 == 0) {
      xp = x;
    } else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = std::min(xs, x);
    xe = std::max(xe, x);
    ys = std::min(ys, y);
    ye = std::max(ye, y);
  }
  return {static_cast<double>(xs), static_cast<double>(ys), static_cast<double>(xe) - static_cast<double>(xs) + 1,
          static_cast<double>(ye) - static_cast<double>(ys) + 1};
}

Rle merge(const std::vector<Rle>& masks, bool intersect) {
  if (masks.empty()) return Rle{};
  for (const auto& m : masks) check_same_size(masks[0], m, "mask::merge");
  if (masks.size() == 1) return masks[0];
  Rle out = merge_two(masks[0], masks[1], intersect);
  for (size_t i = 2; i < masks.size(); ++i) out = merge_two(out, masks[i], intersect);
  return out;
}

std::vector<double> iou(const std::vector<Rle>& dt, const std::vector<Rle>& gt, const std::vector<uint8_t>& iscrowd) {
  BEYOND_CHECK(iscrowd.empty() || iscrowd.size() == gt.size(), "mask::iou: ", iscrowd.size(),
               " iscrowd flags for ", gt.size(), " ground truths");
  std::vector<double> out(dt.size() * gt.size(), 0.0);
  if (out.empty()) return out;
  std::vector<Box> dt_boxes(dt.size()), gt_boxes(gt.size());
  std::vector<uint64_t> dt_area(dt.size()), gt_area(gt.size());
  for (size_t d = 0; d < dt.size(); ++d) dt_boxes[d] = to_box(dt[d]), dt_area[d] = area(dt[d]);
  for (size_t g = 0; g < gt.size(); ++g) gt_boxes[g] = to_box(gt[g]), gt_area[g] = area(gt[g]);
  // Boxes first, as COCO does: most pairs do not overlap at all and need no walk over the runs.
  const std::vector<double> box = box_iou(dt_boxes, gt_boxes, iscrowd);
  std::vector<Intervals> dt_runs(dt.size()), gt_runs(gt.size());
  std::vector<uint8_t> dt_ready(dt.size(), 0), gt_ready(gt.size(), 0);
  for (size_t d = 0; d < dt.size(); ++d) {
    for (size_t g = 0; g < gt.size(); ++g) {
      double& o = out[d * gt.size() + g];
      if (!(box[d * gt.size() + g] > 0)) continue;
      if (dt[d].height != gt[g].height || dt[d].width != gt[g].width) {
        o = -1;
        continue;
      }
      if (!dt_ready[d]) dt_runs[d] = ones_intervals(dt[d]), dt_ready[d] = 1;
      if (!gt_ready[g]) gt_runs[g] = ones_intervals(gt[g]), gt_ready[g] = 1;
      const uint64_t inter = intersection(dt_runs[d], gt_runs[g]);
      if (inter == 0) continue;
      const bool crowd = !iscrowd.empty() && iscrowd[g];
      const uint64_t uni = crowd ? dt_area[d] : dt_area[d] + gt_area[g] - inter;
      o = static_cast<double>(inter) / static_cast<double>(uni);
    }
  }
  return out;
}

std::vector<double> box_iou(const std::vector<Box>& dt, const std::vector<Box>& gt,
                            const std::vector<uint8_t>& iscrowd) {
  BEYOND_CHECK(iscrowd.empty() || iscrowd.size() == gt.size(), "mask::box_iou: ", iscrowd.size(),
               " iscrowd flags for ", gt.size(), " ground truths");
  std::vector<double> out(dt.size() * gt.size(), 0.0);
  for (size_t g = 0; g < gt.size(); ++g) {
    const Box& G = gt[g];
    const double ga = G[2] * G[3];
    const bool crowd = !iscrowd.empty() && iscrowd[g];
    for (size_t d = 0; d < dt.size(); ++d) {
      const Box& D = dt[d];
      const double w = std::fmin(D[2] + D[0], G[2] + G[0]) - std::fmax(D[0], G[0]);
      if (w <= 0) continue;
      const double h = std::fmin(D[3] + D[1], G[3] + G[1]) - std::fmax(D[1], G[1]);
      if (h <= 0) continue;
      const double da = D[2] * D[3], i = w * h;
      out[d * gt.size() + g] = i / (crowd ? da : da + ga - i);
    }
  }
  return out;
}

}  // namespace beyond::mask
