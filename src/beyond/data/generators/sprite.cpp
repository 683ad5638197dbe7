#include "beyond/data/generators/sprite.h"

#include <cmath>

namespace beyond::data {

cv::Vec3d hsv_to_rgb(double hue, double saturation, double value) {
  const double h = std::fmod(std::fmod(hue, 360.0) + 360.0, 360.0) / 60.0;
  const double c = value * saturation;
  const double x = c * (1.0 - std::fabs(std::fmod(h, 2.0) - 1.0));
  const double m = value - c;
  double r = 0, g = 0, b = 0;
  if (h < 1) {
    r = c, g = x;
  } else if (h < 2) {
    r = x, g = c;
  } else if (h < 3) {
    g = c, b = x;
  } else if (h < 4) {
    g = x, b = c;
  } else if (h < 5) {
    r = x, b = c;
  } else {
    r = c, b = x;
  }
  return {255.0 * (r + m), 255.0 * (g + m), 255.0 * (b + m)};
}

cv::Vec3d random_object_colour(Random& rng) {
  const double hue = rng.uniform(0, 360);
  // One in five objects is nearly grey (white, black, grey clothes exist too).
  const double saturation = rng.chance(0.2) ? rng.uniform(0.0, 0.15) : rng.uniform(0.35, 1.0);
  const double value = rng.uniform(0.45, 1.0);
  return hsv_to_rgb(hue, saturation, value);
}

}  // namespace beyond::data
