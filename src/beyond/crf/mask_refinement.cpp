#include "beyond/crf/mask_refinement.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "beyond/core/error.h"

namespace beyond::crf {

std::vector<uint8_t> box_mask(int64_t width, int64_t height, const PixelBox& box) {
  const auto [x, y, w, h] = box;
  BEYOND_CHECK(w >= 1 && h >= 1, "box ", x, ",", y, ",", w, ",", h, ": width and height must be at least 1 pixel");
  BEYOND_CHECK(x >= 0 && y >= 0 && x + w <= width && y + h <= height, "box ", x, ",", y, ",", w, ",", h,
               " (x, y, width, height) does not lie in the ", width, "x", height, " image: it needs 0 <= x, x + width <= ",
               width, ", 0 <= y, y + height <= ", height);
  std::vector<uint8_t> mask(static_cast<size_t>(width * height), 0);
  for (int64_t r = y; r < y + h; ++r) std::fill_n(mask.begin() + r * width + x, w, uint8_t{1});
  return mask;
}

std::vector<float> distance_to(const std::vector<uint8_t>& target, int64_t width, int64_t height) {
  BEYOND_CHECK(static_cast<int64_t>(target.size()) == width * height, "distance_to: ", target.size(),
               " pixels for a ", width, "x", height, " image");
  // Two raster passes of the 3-4 chamfer mask (Borgefors 1986), in units of 1/3 pixel.
  constexpr int32_t kFar = std::numeric_limits<int32_t>::max() / 2;
  std::vector<int32_t> d(target.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = target[i] ? 0 : kFar;
  const auto at = [&](int64_t x, int64_t y) -> int32_t& { return d[static_cast<size_t>(y * width + x)]; };
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      int32_t& v = at(x, y);
      if (x > 0) v = std::min(v, at(x - 1, y) + 3);
      if (y > 0) {
        v = std::min(v, at(x, y - 1) + 3);
        if (x > 0) v = std::min(v, at(x - 1, y - 1) + 4);
        if (x + 1 < width) v = std::min(v, at(x + 1, y - 1) + 4);
      }
    }
  for (int64_t y = height - 1; y >= 0; --y)
    for (int64_t x = width - 1; x >= 0; --x) {
      int32_t& v = at(x, y);
      if (x + 1 < width) v = std::min(v, at(x + 1, y) + 3);
      if (y + 1 < height) {
        v = std::min(v, at(x, y + 1) + 3);
        if (x + 1 < width) v = std::min(v, at(x + 1, y + 1) + 4);
        if (x > 0) v = std::min(v, at(x - 1, y + 1) + 4);
      }
    }
  std::vector<float> out(d.size());
  for (size_t i = 0; i < d.size(); ++i) out[i] = d[i] >= kFar ? std::numeric_limits<float>::max() : d[i] / 3.0f;
  return out;
}

std::vector<float> coarse_mask_probability(const std::vector<uint8_t>& coarse, int64_t width, int64_t height,
                                           bool from_box, const MaskPrior& prior) {
  BEYOND_CHECK(static_cast<int64_t>(coarse.size()) == width * height, "refine: the coarse mask has ", coarse.size(),
               " pixels, the image is ", width, "x", height);
  BEYOND_CHECK(prior.outside > 0 && prior.outside < 0.5f && prior.inside > 0.5f && prior.inside < 1 &&
                   prior.outside_box > 0 && prior.outside_box < 0.5f && prior.inside_box > 0.5f &&
                   prior.inside_box < 1 && prior.band >= 0,
               "refine: the prior needs 0 < outside, outside_box < 0.5 < inside, inside_box < 1 and band >= 0, got inside ",
               prior.inside, ", outside ", prior.outside, ", inside_box ", prior.inside_box, ", outside_box ",
               prior.outside_box, ", band ", prior.band);
  int64_t x0 = width, y0 = height, x1 = -1, y1 = -1;
  std::vector<uint8_t> outside(coarse.size());
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const bool in = coarse[static_cast<size_t>(y * width + x)] != 0;
      outside[static_cast<size_t>(y * width + x)] = !in;
      if (in) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  BEYOND_CHECK(x1 >= 0, "refine: the coarse mask has no object pixels (every pixel is 0); mark the object with nonzero values");
  const float share = from_box ? 0.25f : 0.15f;
  const float band =
      prior.band > 0 ? prior.band : std::max(2.0f, share * static_cast<float>(std::min(x1 - x0 + 1, y1 - y0 + 1)));
  const float inside = from_box ? prior.inside_box : prior.inside;
  const auto to_outside = distance_to(outside, width, height);
  const auto to_inside = from_box ? std::vector<float>() : distance_to(coarse, width, height);
  std::vector<float> p(coarse.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (coarse[i]) {
      p[i] = 0.5f + (inside - 0.5f) * std::min(1.0f, to_outside[i] / band);
    } else {
      p[i] = from_box ? prior.outside_box : 0.5f - (0.5f - prior.outside) * std::min(1.0f, to_inside[i] / band);
    }
  }
  return p;
}

std::vector<uint8_t> refine_mask(const uint8_t* rgb, int64_t width, int64_t height, const std::vector<uint8_t>& coarse,
                                 bool from_box, const Options& model, const MaskPrior& prior) {
  const auto p = coarse_mask_probability(coarse, width, height, from_box, prior);
  const size_t n = p.size();
  std::vector<float> unary(2 * n);
  for (size_t i = 0; i < n; ++i) {
    unary[i] = -std::log(1.0f - p[i]);  // background
    unary[n + i] = -std::log(p[i]);     // object
  }
  DenseCRF crf(width, height, 2);
  crf.set_unary_energy(unary);
  crf.add_pairwise_gaussian(model.gaussian_sxy_, model.gaussian_compat_);
  crf.add_pairwise_bilateral(model.bilateral_sxy_, model.bilateral_srgb_, rgb, model.bilateral_compat_);
  const auto labels = map_labels(crf.inference(model.iterations_), 2, static_cast<int64_t>(n));
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = labels[i] ? 255 : 0;
  return out;
}

double mask_iou(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  BEYOND_CHECK(a.size() == b.size(), "mask_iou: masks of ", a.size(), " and ", b.size(), " pixels");
  int64_t inter = 0, uni = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    inter += (a[i] != 0) && (b[i] != 0);
    uni += (a[i] != 0) || (b[i] != 0);
  }
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

}  // namespace beyond::crf
