#include "beyond/viz/draw_instances.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <opencv2/imgproc.hpp>

#include "beyond/core/error.h"
#include "beyond/data/mask/rle.h"

namespace beyond::viz {
namespace detail {
namespace {

const coco::Category* find_category(const std::vector<coco::Category>& categories, int64_t id) {
  for (const auto& c : categories)
    if (c.id == id) return &c;
  return nullptr;
}

void blend_mask(cv::Mat& bgr, const coco::Annotation& a, const cv::Scalar& colour, double alpha) {
  const mask::Rle rle = coco::to_rle(a, bgr.rows, bgr.cols);
  const std::vector<uint8_t> pixels = mask::decode(rle);
  cv::Mat1b m(bgr.rows, bgr.cols);
  std::copy(pixels.begin(), pixels.end(), m.begin());
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* row = m.ptr<uint8_t>(y);
    cv::Vec3b* out = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      if (!row[x]) continue;
      for (int k = 0; k < 3; ++k)
        out[x][k] = cv::saturate_cast<uint8_t>((1 - alpha) * out[x][k] + alpha * colour[k]);
    }
  }
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  cv::drawContours(bgr, contours, -1, colour, 1, cv::LINE_AA);
}

void draw_label(cv::Mat& bgr, const std::string& text, cv::Point corner, const cv::Scalar& colour, double scale) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  // Above the box where there is room, else inside it.
  int top = corner.y - size.height - baseline - 2;
  if (top < 0) top = corner.y;
  const int left = std::clamp(corner.x, 0, std::max(0, bgr.cols - size.width - 2));
  cv::rectangle(bgr, cv::Rect(left, top, size.width + 2, size.height + baseline + 2), colour, cv::FILLED);
  const double luma = 0.114 * colour[0] + 0.587 * colour[1] + 0.299 * colour[2];
  const cv::Scalar ink = luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
  cv::putText(bgr, text, cv::Point(left + 1, top + size.height + 1), cv::FONT_HERSHEY_SIMPLEX, scale, ink, 1,
              cv::LINE_AA);
}

void draw_keypoints(cv::Mat& bgr, const coco::Annotation& a, const coco::Category* category, const cv::Scalar& colour) {
  const auto& k = a.keypoints;
  const size_t n = k.size() / 3;
  const auto point = [&](size_t i) {
    return cv::Point(static_cast<int>(std::floor(k[3 * i])), static_cast<int>(std::floor(k[3 * i + 1])));
  };
  const int radius = std::max(2, static_cast<int>(std::lround(std::min(bgr.rows, bgr.cols) / 160.0)));
  if (category) {
    for (const auto& [p, q] : category->skeleton) {
      if (p < 1 || q < 1 || static_cast<size_t>(p) > n || static_cast<size_t>(q) > n) continue;
      if (k[3 * (p - 1) + 2] <= 0 || k[3 * (q - 1) + 2] <= 0) continue;
      cv::line(bgr, point(static_cast<size_t>(p - 1)), point(static_cast<size_t>(q - 1)), colour, 1, cv::LINE_AA);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const double v = k[3 * i + 2];
    if (v <= 0) continue;
    if (v >= 2) {
      cv::circle(bgr, point(i), radius, cv::Scalar(255, 255, 255), cv::FILLED, cv::LINE_AA);
      cv::circle(bgr, point(i), radius, colour, 1, cv::LINE_AA);
    } else {
      cv::circle(bgr, point(i), radius, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
  }
}

}  // namespace
}  // namespace detail

cv::Scalar category_colour(int64_t category_id) {
  // Hues spread by the golden angle, so neighbouring ids differ clearly.
  const double hue = std::fmod(static_cast<double>(category_id) * 137.508, 360.0) / 2.0;  // OpenCV hue: 0..180
  cv::Mat3b hsv(1, 1, cv::Vec3b(static_cast<uint8_t>(hue), 230, 255)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr(0, 0);
  return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

void draw_annotations(cv::Mat& bgr, const std::vector<coco::Annotation>& annotations,
                      const std::vector<coco::Category>& categories, const DrawOptions& options) {
  BEYOND_CHECK(bgr.type() == CV_8UC3, "draw_annotations: expected a CV_8UC3 (BGR) image, got type ", bgr.type());
  if (options.draw_masks()) {
    for (const auto& a : annotations)
      if (a.segmentation.kind != coco::Segmentation::Kind::None)
        detail::blend_mask(bgr, a, category_colour(a.category_id), options.mask_alpha());
  }
  for (const auto& a : annotations) {
    const cv::Scalar colour = category_colour(a.category_id);
    const cv::Point corner(static_cast<int>(std::floor(a.bbox[0])), static_cast<int>(std::floor(a.bbox[1])));
    if (options.draw_boxes()) {
      const cv::Point far(static_cast<int>(std::ceil(a.bbox[0] + a.bbox[2])) - 1,
                          static_cast<int>(std::ceil(a.bbox[1] + a.bbox[3])) - 1);
      cv::rectangle(bgr, corner, far, colour, 1);
    }
    const coco::Category* category = detail::find_category(categories, a.category_id);
    if (options.draw_keypoints() && !a.keypoints.empty()) detail::draw_keypoints(bgr, a, category, colour);
    if (options.draw_labels()) {
      std::string text = category ? category->name : "?" + std::to_string(a.category_id);
      if (options.draw_scores()) {
        char score[16];
        std::snprintf(score, sizeof(score), " %.2f", a.score);
        text += score;
      }
      detail::draw_label(bgr, text, corner, colour, options.font_scale());
    }
  }
}

}  // namespace beyond::viz
