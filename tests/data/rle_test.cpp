#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "support/helpers.h"
#include "beyond/data/mask/rle.h"

namespace mask = beyond::mask;
using beyond::test::error_of;

namespace {

/// A row-major mask of random blobs: a few random rectangles, plus sparse noise, so that runs of
/// every length and masks touching the borders all occur.
std::vector<uint8_t> random_mask(std::mt19937& rng, int64_t h, int64_t w, double noise = 0.02) {
  std::vector<uint8_t> m(static_cast<size_t>(h * w), 0);
  std::uniform_int_distribution<int> n_rects(0, 3);
  const int n = n_rects(rng);
  for (int r = 0; r < n && h > 0 && w > 0; ++r) {
    std::uniform_int_distribution<int64_t> ys(0, h - 1), xs(0, w - 1);
    int64_t y0 = ys(rng), y1 = ys(rng), x0 = xs(rng), x1 = xs(rng);
    if (y0 > y1) std::swap(y0, y1);
    if (x0 > x1) std::swap(x0, x1);
    for (int64_t y = y0; y <= y1; ++y)
      for (int64_t x = x0; x <= x1; ++x) m[y * w + x] = 1;
  }
  std::bernoulli_distribution flip(noise);
  for (auto& v : m)
    if (flip(rng)) v = static_cast<uint8_t>(v ? 0 : 3);  // any nonzero byte counts as inside
  return m;
}

/// Runs of the mask read in column-major order, by the definition (first run counts zeros).
std::vector<uint32_t> brute_counts(const std::vector<uint8_t>& m, int64_t h, int64_t w) {
  std::vector<uint32_t> counts;
  bool value = false;
  uint32_t run = 0;
  for (int64_t x = 0; x < w; ++x)
    for (int64_t y = 0; y < h; ++y) {
      const bool v = m[y * w + x] != 0;
      if (v != value) counts.push_back(run), run = 0, value = v;
      ++run;
    }
  counts.push_back(run);
  return counts;
}

std::vector<uint8_t> binary(std::vector<uint8_t> m) {
  for (auto& v : m) v = v != 0;
  return m;
}

}  // namespace

TEST(Rle, EncodeDecodeRoundTripOnRandomMasks) {
  std::mt19937 rng(1);
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{1, 1}, {1, 7}, {7, 1}, {5, 9}, {32, 17}, {0, 4}, {64, 64}};
  for (const auto& [h, w] : sizes) {
    for (int trial = 0; trial < 20; ++trial) {
      const auto m = random_mask(rng, h, w, trial % 2 ? 0.3 : 0.01);
      const mask::Rle rle = mask::encode(m.data(), h, w);
      EXPECT_EQ(rle.height, h);
      EXPECT_EQ(rle.width, w);
      EXPECT_EQ(rle.counts, brute_counts(m, h, w)) << h << "x" << w;
      EXPECT_EQ(mask::decode(rle), binary(m));
      EXPECT_NO_THROW(mask::validate(rle, "test"));
    }
  }
  // All zeros and all ones: one run, or an empty zeros run then the ones.
  const std::vector<uint8_t> zeros(12, 0), ones(12, 1);
  EXPECT_EQ(mask::encode(zeros.data(), 3, 4).counts, std::vector<uint32_t>({12}));
  EXPECT_EQ(mask::encode(ones.data(), 3, 4).counts, std::vector<uint32_t>({0, 12}));
  // Empty masks (found by fuzzing: no pointer arithmetic on a null mask).
  EXPECT_EQ(mask::encode(nullptr, 0, 5).counts, std::vector<uint32_t>({0}));
  EXPECT_EQ(mask::encode(nullptr, 5, 0).counts, std::vector<uint32_t>({0}));
  EXPECT_TRUE(mask::decode({0, 5, {0}}).empty());
  EXPECT_NE(error_of([] { mask::encode(nullptr, 70000, 70000); }).find("over 2^32 - 1 pixels"), std::string::npos);
}

TEST(Rle, CountsAreColumnMajor) {
  // 2 x 3, row-major:  1 0 0
  //                    1 1 0     column-major: 1 1 | 0 1 | 0 0  ->  runs 0, 2, 1, 1, 2
  const std::vector<uint8_t> m = {1, 0, 0, 1, 1, 0};
  EXPECT_EQ(mask::encode(m.data(), 2, 3).counts, std::vector<uint32_t>({0, 2, 1, 1, 2}));
}

TEST(Rle, StringCodecKnownStrings) {
  // Derived by hand from COCO's definition: 5-bit groups + '0', 0x20 = more groups, the last group's
  // 0x10 = sign, counts from the fourth on as differences to the count two before.
  // [2, 3, 1]: single digits.
  EXPECT_EQ(mask::to_string({3, 2, {2, 3, 1}}), "231");
  // [0, 40, 10, 50]: 40 = 8 + 1 * 32 -> '0' + (8 | 0x20) = 'X', then '1'; 50 - 40 = 10 -> ':'.
  EXPECT_EQ(mask::to_string({25, 4, {0, 40, 10, 50}}), "0X1::");
  // [5, 10, 20, 3]: 20 has the 0x10 bit, which would read as a sign, so a second group follows:
  // 'd' (20 | 0x20) then '0'. 3 - 10 = -7 -> low 5 bits 25 (sign set, the rest all ones) -> 'I'.
  EXPECT_EQ(mask::to_string({19, 2, {5, 10, 20, 3}}), "5:d0I");
  EXPECT_EQ(mask::from_string("5:d0I", 19, 2, "t").counts, std::vector<uint32_t>({5, 10, 20, 3}));
  EXPECT_EQ(mask::from_string("0X1::", 25, 4, "t").counts, std::vector<uint32_t>({0, 40, 10, 50}));
  // A large count needs several groups: 1000000 = 0b11110100001001000000.
  const mask::Rle big{1000, 1001, {1000000, 1000}};
  EXPECT_EQ(mask::from_string(mask::to_string(big), 1000, 1001, "t"), big);
}

TEST(Rle, StringCodecRoundTripOnRandomMasks) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 200; ++trial) {
    std::uniform_int_distribution<int64_t> size(1, 80);
    const int64_t h = size(rng), w = size(rng);
    const auto m = random_mask(rng, h, w, trial % 3 ? 0.05 : 0.5);
    const mask::Rle rle = mask::encode(m.data(), h, w);
    const std::string s = mask::to_string(rle);
    for (char c : s) ASSERT_TRUE(c >= '0' && c <= 'o') << s;
    EXPECT_EQ(mask::from_string(s, h, w, "t"), rle);
  }
}

TEST(Rle, FromStringRejectsBadStrings) {
  EXPECT_NE(error_of([] { mask::from_string("23", 3, 2, "inst.json, annotation id 7"); })
                .find("inst.json, annotation id 7: RLE counts sum to 5 but the size [3, 2] needs height * width = 6"),
            std::string::npos);
  EXPECT_NE(error_of([] { mask::from_string("2 1", 3, 1, "a.json"); }).find("invalid character ' ' at byte 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { mask::from_string("2X", 3, 1, "a.json"); }).find("ends inside a number"),
            std::string::npos);
  // 'I' is -7: a negative run length.
  EXPECT_NE(error_of([] { mask::from_string("I", 3, 1, "a.json"); }).find("invalid run length -7"),
            std::string::npos);
  EXPECT_NE(error_of([] { mask::from_string("oooooooo0", 3, 1, "a.json"); }).find("over-long number"),
            std::string::npos);
  EXPECT_NE(error_of([] { mask::validate({2, 2, {1, 2}}, "b.json, annotation id 3"); })
                .find("b.json, annotation id 3: RLE counts sum to 3"),
            std::string::npos);
}

TEST(Rle, PolygonRectangleWithIntegerCorners) {
  // Pixel (x, y) covers [x, x+1) x [y, y+1); the rectangle (1, 2)-(4, 6) covers x 1..3, y 2..5.
  const mask::Rle rle = mask::from_polygon({1, 2, 4, 2, 4, 6, 1, 6}, 8, 7);
  const auto m = mask::decode(rle);
  for (int64_t y = 0; y < 8; ++y)
    for (int64_t x = 0; x < 7; ++x)
      EXPECT_EQ(m[y * 7 + x], (x >= 1 && x <= 3 && y >= 2 && y <= 5) ? 1 : 0) << x << "," << y;
  EXPECT_EQ(mask::area(rle), 12u);
  EXPECT_EQ(mask::to_box(rle), (mask::Box{1, 2, 3, 4}));
  // The same box through from_box (COCO's frBbox), and in the other winding.
  EXPECT_EQ(mask::from_box({1, 2, 3, 4}, 8, 7), rle);
  EXPECT_EQ(mask::from_polygon({1, 2, 1, 6, 4, 6, 4, 2}, 8, 7), rle);
  // Boxes far outside the image (found by fuzzing box results) are the boxes clipped to it.
  EXPECT_EQ(mask::from_box({-1e12, 2, 2e12, 3e15}, 8, 7), mask::from_polygon({0, 2, 7, 2, 7, 8, 0, 8}, 8, 7));
  EXPECT_EQ(mask::area(mask::from_box({1e12, 2, 1, 1}, 8, 7)), 0u);
}

TEST(Rle, PolygonRectangleWithHalfIntegerCorners) {
  // (0.5, 0.5)-(3.5, 2.5): COCO rounds corners to its 1/5-pixel grid half up, to 0.6 and 3.6 / 2.6,
  // so the pixels whose centre lies on the left / top edge are out and those on the right / bottom
  // edge are in: x 1..3, y 1..2.
  const auto m = mask::decode(mask::from_polygon({0.5, 0.5, 3.5, 0.5, 3.5, 2.5, 0.5, 2.5}, 5, 6));
  for (int64_t y = 0; y < 5; ++y)
    for (int64_t x = 0; x < 6; ++x)
      EXPECT_EQ(m[y * 6 + x], (x >= 1 && x <= 3 && y >= 1 && y <= 2) ? 1 : 0) << x << "," << y;
}

TEST(Rle, PolygonTriangle) {
  // (0,0), (4,0), (0,4): pixels whose centre is strictly inside x + y < 4 (centres on the
  // hypotenuse, x + y + 1 = 4, are out): 3 + 2 + 1 = 6 pixels.
  const auto m = mask::decode(mask::from_polygon({0, 0, 4, 0, 0, 4}, 5, 5));
  for (int64_t y = 0; y < 5; ++y)
    for (int64_t x = 0; x < 5; ++x) EXPECT_EQ(m[y * 5 + x], x + y + 1 < 4 ? 1 : 0) << x << "," << y;
}

TEST(Rle, PolygonRandomRectanglesMatchTheCentreRule) {
  // Axis-aligned rectangles with corners on a 0.1 grid, partly outside the image: a pixel is inside
  // iff its centre is strictly inside the rectangle whose corners are rounded (C-style, half up,
  // truncating towards zero) to COCO's 1/5 grid.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> coord(-30, 130);
  auto snap = [](double v) { return static_cast<int>(5 * v + .5); };
  for (int trial = 0; trial < 300; ++trial) {
    double x0 = coord(rng) / 10.0, x1 = coord(rng) / 10.0, y0 = coord(rng) / 10.0, y1 = coord(rng) / 10.0;
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    const int64_t h = 9, w = 11;
    const auto m = mask::decode(mask::from_polygon({x0, y0, x1, y0, x1, y1, x0, y1}, h, w));
    const int X0 = snap(x0), X1 = snap(x1), Y0 = snap(y0), Y1 = snap(y1);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const double cx = 5 * x + 2.5, cy = 5 * y + 2.5;
        const bool inside = X0 < cx && cx < X1 && Y0 < cy && cy < Y1;
        ASSERT_EQ(m[y * w + x], inside ? 1 : 0)
            << "rect (" << x0 << "," << y0 << ")-(" << x1 << "," << y1 << ") pixel " << x << "," << y;
      }
  }
}

TEST(Rle, PolygonRandomTrianglesAgreeWithPointInPolygonAwayFromEdges) {
  // Diagonal edges are walked on COCO's 1/5 grid, so pixels whose centre is near an edge may go
  // either way; every pixel whose centre is more than 0.3 px from all edges must be classified as
  // an exact point-in-polygon test classifies it.
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> coord(-3, 23);
  auto dist_to_segment = [](double px, double py, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(px - ax - t * dx, py - ay - t * dy);
  };
  int64_t checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> xy;
    const int k = 3 + trial % 4;
    for (int i = 0; i < 2 * k; ++i) xy.push_back(coord(rng));
    const int64_t h = 20, w = 21;
    const auto m = mask::decode(mask::from_polygon(xy, h, w));
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const double cx = x + .5, cy = y + .5;
        bool inside = false;
        double near = 1e9;
        for (int i = 0, j = k - 1; i < k; j = i++) {
          const double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
          if ((yi > cy) != (yj > cy) && cx < (xj - xi) * (cy - yi) / (yj - yi) + xi) inside = !inside;
          near = std::min(near, dist_to_segment(cx, cy, xi, yi, xj, yj));
        }
        if (near <= 0.3) continue;
        ++checked;
        ASSERT_EQ(m[y * w + x], inside ? 1 : 0) << "trial " << trial << " pixel " << x << "," << y;
      }
  }
  EXPECT_GT(checked, 20000);
}

TEST(Rle, PolygonsUnionAndBadPolygons) {
  const mask::Rle a = mask::from_polygon({0, 0, 2, 0, 2, 2, 0, 2}, 4, 4);
  const mask::Rle b = mask::from_polygon({1, 1, 4, 1, 4, 4, 1, 4}, 4, 4);
  EXPECT_EQ(mask::from_polygons({{0, 0, 2, 0, 2, 2, 0, 2}, {1, 1, 4, 1, 4, 4, 1, 4}}, 4, 4), mask::merge({a, b}));
  EXPECT_EQ(mask::area(mask::from_polygons({}, 4, 4)), 0u);
  EXPECT_NE(error_of([] { mask::from_polygon({0, 0, 1, 1}, 4, 4); }).find("at least 3 points"), std::string::npos);
  EXPECT_NE(error_of([] { mask::from_polygon({0, 0, 1, 1, 2}, 4, 4); }).find("at least 3 points"), std::string::npos);
  EXPECT_NE(error_of([] { mask::from_polygon({0, 0, 1, NAN, 2, 2}, 4, 4); }).find("not finite"), std::string::npos);
  // Degenerate and repeated points are harmless.
  EXPECT_EQ(mask::area(mask::from_polygon({1, 1, 1, 1, 1, 1}, 4, 4)), 0u);
  EXPECT_EQ(mask::from_polygon({1, 2, 4, 2, 4, 2, 4, 6, 1, 6, 1, 6}, 8, 7), mask::from_box({1, 2, 3, 4}, 8, 7));
}

TEST(Rle, AreaBoxMergeIouMatchPixelComputations) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::uniform_int_distribution<int64_t> size(1, 40);
    const int64_t h = size(rng), w = size(rng);
    const size_t n_dt = 3, n_gt = 4;
    std::vector<std::vector<uint8_t>> dm, gm;
    std::vector<mask::Rle> dt, gt;
    for (size_t i = 0; i < n_dt; ++i) {
      dm.push_back(binary(random_mask(rng, h, w, i == 0 ? 0.0 : 0.03)));
      dt.push_back(mask::encode(dm.back().data(), h, w));
    }
    for (size_t i = 0; i < n_gt; ++i) {
      gm.push_back(binary(random_mask(rng, h, w, i == 1 ? 0.0 : 0.03)));
      gt.push_back(mask::encode(gm.back().data(), h, w));
    }
    std::vector<uint8_t> crowd = {0, 1, 0, 1};
    // Area and tight box.
    for (size_t i = 0; i < n_dt; ++i) {
      uint64_t a = 0;
      int64_t x0 = w, y0 = h, x1 = -1, y1 = -1;
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          if (dm[i][y * w + x]) {
            ++a;
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
          }
      EXPECT_EQ(mask::area(dt[i]), a);
      const mask::Box expected = a ? mask::Box{double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)}
                                   : mask::Box{0, 0, 0, 0};
      EXPECT_EQ(mask::to_box(dt[i]), expected);
    }
    // Union and intersection of all ground truths.
    std::vector<uint8_t> uni(h * w, 0), inter(h * w, 1);
    for (const auto& m : gm)
      for (size_t p = 0; p < m.size(); ++p) uni[p] |= m[p], inter[p] &= m[p];
    EXPECT_EQ(mask::merge(gt), mask::encode(uni.data(), h, w));
    EXPECT_EQ(mask::merge(gt, true), mask::encode(inter.data(), h, w));
    // IoU, with crowds: intersection over the detection's area.
    const auto ious = mask::iou(dt, gt, crowd);
    ASSERT_EQ(ious.size(), n_dt * n_gt);
    for (size_t d = 0; d < n_dt; ++d)
      for (size_t g = 0; g < n_gt; ++g) {
        uint64_t i = 0, u = 0, ad = 0;
        for (size_t p = 0; p < dm[d].size(); ++p) i += dm[d][p] && gm[g][p], u += dm[d][p] || gm[g][p], ad += dm[d][p];
        const double expected = i == 0 ? 0.0 : double(i) / double(crowd[g] ? ad : u);
        EXPECT_DOUBLE_EQ(ious[d * n_gt + g], expected) << d << "," << g;
      }
  }
}

TEST(Rle, IouEdgeCases) {
  const std::vector<uint8_t> full(6, 1);
  const mask::Rle a = mask::encode(full.data(), 2, 3), b = mask::encode(full.data(), 3, 2);
  const mask::Rle empty{2, 3, {6}};
  EXPECT_EQ(mask::iou({a}, {a}, {}), std::vector<double>({1.0}));
  EXPECT_EQ(mask::iou({a}, {b}, {0}), std::vector<double>({-1.0}));  // sizes differ, as in COCO
  EXPECT_EQ(mask::iou({empty}, {a}, {1}), std::vector<double>({0.0}));
  EXPECT_TRUE(mask::iou({}, {a}, {0}).empty());
  EXPECT_NE(error_of([&] { mask::iou({a}, {a}, {0, 1}); }).find("2 iscrowd flags for 1 ground truths"),
            std::string::npos);
  EXPECT_NE(error_of([&] { mask::merge({a, b}); }).find("different sizes"), std::string::npos);
}

TEST(Rle, BoxIou) {
  // Two 10 x 10 boxes overlapping in 5 x 10: 50 / 150. No +1 on widths.
  const std::vector<mask::Box> dt = {{0, 0, 10, 10}, {100, 100, 1, 1}, {2, 2, 2, 2}};
  const std::vector<mask::Box> gt = {{5, 0, 10, 10}, {0, 0, 10, 10}};
  const auto o = mask::box_iou(dt, gt, {0, 1});
  ASSERT_EQ(o.size(), 6u);
  EXPECT_DOUBLE_EQ(o[0], 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(o[1], 1.0);
  EXPECT_EQ(o[2], 0.0);
  EXPECT_EQ(o[3], 0.0);
  EXPECT_DOUBLE_EQ(o[4], 0.0);                  // (2,2,2,2) vs (5,0,10,10): disjoint
  EXPECT_DOUBLE_EQ(o[5], 1.0);                  // inside a crowd box: 4 / 4
  EXPECT_DOUBLE_EQ(mask::box_iou({{2, 2, 2, 2}}, {{0, 0, 10, 10}}, {})[0], 4.0 / 100.0);
  // Touching boxes do not overlap.
  EXPECT_EQ(mask::box_iou({{0, 0, 5, 5}}, {{5, 0, 5, 5}}, {})[0], 0.0);
}
