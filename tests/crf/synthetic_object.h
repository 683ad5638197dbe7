#pragma once
// A photograph-like test image for mask refinement: a sharp-edged object (a reddish ellipse) on a
// textured background (a green-grey gradient with stripes), both with noise, its true mask and a
// loose box around it (the object's bounding box grown by 30% of its size on each side).
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "beyond/crf/mask_refinement.h"

namespace beyond::crf {

struct SyntheticObject {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;    // [height, width, 3]
  std::vector<uint8_t> truth;  // [height, width], 1 = object
  PixelBox loose_box{};
};

inline SyntheticObject synthetic_object(int64_t width, int64_t height, uint32_t seed) {
  SyntheticObject s;
  s.width = width;
  s.height = height;
  s.rgb.resize(static_cast<size_t>(width * height * 3));
  s.truth.resize(static_cast<size_t>(width * height));
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 7);
  const double cx = width * 0.52, cy = height * 0.47, rx = width * 0.2, ry = height * 0.22;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const size_t p = static_cast<size_t>(y * width + x);
      const double u = (x - cx) / rx, v = (y - cy) / ry;
      const bool in = u * u + v * v <= 1.0;
      s.truth[p] = in;
      const float stripes = 18.0f * static_cast<float>(std::sin(0.35 * (x + 0.5 * y)) > 0);
      const float base[3] = {in ? 200.0f : 80.0f + stripes + 0.3f * x, in ? 60.0f : 120.0f + stripes,
                             in ? 50.0f : 90.0f + 0.4f * y};
      for (int c = 0; c < 3; ++c)
        s.rgb[p * 3 + c] = static_cast<uint8_t>(std::lround(std::fmin(255.0f, std::fmax(0.0f, base[c] + noise(rng)))));
    }
  const int64_t x0 = std::lround(cx - rx), x1 = std::lround(cx + rx), y0 = std::lround(cy - ry), y1 = std::lround(cy + ry);
  const int64_t gx = std::lround(0.3 * (x1 - x0)), gy = std::lround(0.3 * (y1 - y0));
  s.loose_box = {x0 - gx, y0 - gy, x1 - x0 + 1 + 2 * gx, y1 - y0 + 1 + 2 * gy};
  return s;
}

}  // namespace beyond::crf
