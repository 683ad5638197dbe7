#include "beyond/data/generators/backgrounds.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "beyond/data/generators/sprite.h"

namespace beyond::data {
namespace detail {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// A muted colour for the background's base layers (objects are more saturated on average).
cv::Vec3d muted_colour(Random& rng) {
  return hsv_to_rgb(rng.uniform(0, 360), rng.uniform(0.05, 0.6), rng.uniform(0.2, 0.9));
}

/// Linear gradient between two colours along a random direction.
void add_gradient(cv::Mat3f& img, Random& rng) {
  const cv::Vec3d a = muted_colour(rng), b = muted_colour(rng);
  const double angle = rng.uniform(0, 2 * kPi), c = std::cos(angle), s = std::sin(angle);
  const double half = 0.5 * (std::fabs(c) * img.cols + std::fabs(s) * img.rows);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      const double t = std::clamp(0.5 + ((x - img.cols / 2.0) * c + (y - img.rows / 2.0) * s) / (2 * half), 0.0, 1.0);
      const cv::Vec3d v = a * (1 - t) + b * t;
      img(y, x) = cv::Vec3f(static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2]));
    }
  }
}

/// Smooth colour blotches: a coarse random grid upsampled bicubically.
void add_low_frequency_noise(cv::Mat3f& img, Random& rng) {
  const int cells = static_cast<int>(rng.integer(2, 7));
  const double amplitude = rng.uniform(5, 22);
  cv::Mat3f coarse(cells, cells);
  for (int y = 0; y < cells; ++y)
    for (int x = 0; x < cells; ++x)
      for (int k = 0; k < 3; ++k) coarse(y, x)[k] = static_cast<float>(amplitude * rng.normal());
  cv::Mat3f fine;
  cv::resize(coarse, fine, img.size(), 0, 0, cv::INTER_CUBIC);
  img += fine;
}

/// A periodic texture (stripes, checks or waves) over the whole image or one half-plane of it.
void add_texture(cv::Mat3f& img, Random& rng) {
  const int kind = static_cast<int>(rng.index(3));
  const double period = rng.log_uniform(6, 60), f = 2 * kPi / period;
  const double angle = rng.uniform(0, kPi), c = std::cos(angle), s = std::sin(angle);
  const double amplitude = rng.uniform(8, 35);
  const cv::Vec3d tint = random_object_colour(rng) - cv::Vec3d(128, 128, 128);
  const double tint_norm = std::max(1.0, cv::norm(tint));
  const cv::Vec3d direction = cv::Vec3d(1, 1, 1) * 0.6 + tint * (0.8 / tint_norm);
  // Half of the textures cover only the part of the image on one side of a random line.
  const bool half_plane = rng.chance(0.5);
  const double cut_angle = rng.uniform(0, 2 * kPi), cut_offset = rng.uniform(-0.3, 0.3) * img.cols;
  const double wobble = rng.uniform(0.5, 3.0), wobble_f = rng.uniform(0.01, 0.05);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      if (half_plane && (x - img.cols / 2.0) * std::cos(cut_angle) + (y - img.rows / 2.0) * std::sin(cut_angle) <
                            cut_offset)
        continue;
      const double u = x * c + y * s, v = -x * s + y * c;
      double value = 0;
      if (kind == 0) {
        value = std::sin(f * u);
      } else if (kind == 1) {
        value = std::sin(f * u) * std::sin(f * v) > 0 ? 0.8 : -0.8;
      } else {
        value = std::sin(f * u + wobble * std::sin(wobble_f * v));
      }
      const cv::Vec3d add = direction * (amplitude * value);
      img(y, x) += cv::Vec3f(static_cast<float>(add[0]), static_cast<float>(add[1]), static_cast<float>(add[2]));
    }
  }
}

/// One random shape drawn as a 0/1 mask of the image's size.
cv::Mat1b distractor_shape(Random& rng, int height, int width) {
  cv::Mat1b mask = cv::Mat1b::zeros(height, width);
  const double size = rng.log_uniform(6, 0.4 * std::max(height, width));
  const cv::Point2d centre(rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height);
  const int kind = static_cast<int>(rng.index(5));
  const auto at = [&](double angle, double radius) {
    return cv::Point(static_cast<int>(std::lround(centre.x + radius * std::cos(angle))),
                     static_cast<int>(std::lround(centre.y + radius * std::sin(angle))));
  };
  if (kind == 0) {  // disc or ellipse
    cv::ellipse(mask, cv::Point(centre), cv::Size(static_cast<int>(size / 2), static_cast<int>(size / 2 * rng.uniform(0.3, 1))),
                rng.uniform(0, 180), 0, 360, 1, cv::FILLED);
  } else if (kind == 1) {  // rotated rectangle
    const double angle = rng.uniform(0, kPi), aspect = rng.uniform(0.15, 1.0);
    const double hw = size / 2, hh = size / 2 * aspect;
    std::vector<cv::Point> corners;
    for (const auto& [dx, dy] : {std::pair{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}})
      corners.emplace_back(static_cast<int>(std::lround(centre.x + dx * std::cos(angle) - dy * std::sin(angle))),
                           static_cast<int>(std::lround(centre.y + dx * std::sin(angle) + dy * std::cos(angle))));
    cv::fillConvexPoly(mask, corners, 1);
  } else if (kind == 2) {  // irregular polygon (star-like)
    const int n = static_cast<int>(rng.integer(3, 9));
    const double start = rng.uniform(0, 2 * kPi);
    std::vector<cv::Point> points;
    for (int i = 0; i < n; ++i) points.push_back(at(start + 2 * kPi * i / n, size / 2 * rng.uniform(0.35, 1.0)));
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{points}, 1);
  } else if (kind == 3) {  // thick curved stroke
    const int n = static_cast<int>(rng.integer(3, 6));
    double angle = rng.uniform(0, 2 * kPi);
    cv::Point2d p = centre;
    const int thickness = std::max(1, static_cast<int>(size * rng.uniform(0.04, 0.15)));
    for (int i = 0; i < n; ++i) {
      angle += rng.uniform(-0.8, 0.8);
      const cv::Point2d q = p + cv::Point2d(std::cos(angle), std::sin(angle)) * (size / n * 1.5);
      cv::line(mask, cv::Point(p), cv::Point(q), 1, thickness);
      p = q;
    }
  } else {  // ring
    cv::circle(mask, cv::Point(centre), static_cast<int>(size / 2), 1,
               std::max(1, static_cast<int>(size * rng.uniform(0.05, 0.2))));
  }
  return mask;
}

void add_distractors(cv::Mat3f& img, Random& rng) {
  const int n = static_cast<int>(rng.integer(4, 14));
  for (int i = 0; i < n; ++i) {
    const cv::Mat1b mask = distractor_shape(rng, img.rows, img.cols);
    const cv::Vec3d colour = rng.chance(0.5) ? random_object_colour(rng) : muted_colour(rng);
    const float alpha = static_cast<float>(rng.uniform(0.35, 1.0));
    // A linear shade across the shape, so that it is not one flat colour.
    const double shade_x = rng.uniform(-0.003, 0.003), shade_y = rng.uniform(-0.003, 0.003);
    for (int y = 0; y < img.rows; ++y) {
      const uint8_t* m = mask.ptr<uint8_t>(y);
      for (int x = 0; x < img.cols; ++x) {
        if (!m[x]) continue;
        const double shade = 1 + shade_x * (x - img.cols / 2.0) + shade_y * (y - img.rows / 2.0);
        cv::Vec3f& p = img(y, x);
        for (int k = 0; k < 3; ++k) p[k] = (1 - alpha) * p[k] + alpha * static_cast<float>(colour[k] * shade);
      }
    }
  }
}

}  // namespace
}  // namespace detail

cv::Mat render_background(Random& rng, int height, int width) {
  cv::Mat3f img(height, width);
  detail::add_gradient(img, rng);
  detail::add_low_frequency_noise(img, rng);
  if (rng.chance(0.75)) detail::add_texture(img, rng);
  if (rng.chance(0.3)) detail::add_texture(img, rng);
  detail::add_distractors(img, rng);
  // Slight defocus: the background is a little softer than the objects pasted in front of it.
  const double sigma = rng.uniform(0.0, 1.2);
  if (sigma > 0.3) cv::GaussianBlur(img, img, cv::Size(0, 0), sigma);
  cv::Mat out;
  img.convertTo(out, CV_8UC3);
  return out;
}

}  // namespace beyond::data
