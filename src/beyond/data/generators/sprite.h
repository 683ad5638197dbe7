#pragma once
/// A pasteable object for the scene generator: colour and mask on a small canvas, placed at an
/// integer offset in the image (it may hang over the image's edges).
#include <opencv2/core.hpp>

#include "beyond/data/generators/random.h"

namespace beyond::data {

struct Sprite {
  cv::Mat rgb;        ///< CV_8UC3, RGB order, the object's colours (meaningful where mask is set)
  cv::Mat mask;       ///< CV_8UC1, 1 inside the object, 0 outside
  cv::Point origin;   ///< image coordinates of the canvas' top-left pixel
};

/// A random object colour: any hue, mostly saturated and bright enough to read against clutter.
/// Returned as RGB in [0, 255].
cv::Vec3d random_object_colour(Random& rng);
/// Converts hue (degrees), saturation, value (in [0, 1]) to RGB in [0, 255].
cv::Vec3d hsv_to_rgb(double hue, double saturation, double value);

}  // namespace beyond::data
