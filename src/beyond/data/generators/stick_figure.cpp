#include "beyond/data/generators/stick_figure.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace beyond::data {
namespace detail {
namespace {

constexpr double kPi = 3.14159265358979323846;

enum Keypoint {
  kNose, kLeftEye, kRightEye, kLeftEar, kRightEar, kLeftShoulder, kRightShoulder, kLeftElbow, kRightElbow,
  kLeftWrist, kRightWrist, kLeftHip, kRightHip, kLeftKnee, kRightKnee, kLeftAnkle, kRightAnkle
};

/// Unit vector at `angle` radians from "down" (0 = straight down, positive = towards image right).
cv::Point2d from_down(double angle) { return {std::sin(angle), std::cos(angle)}; }

/// A skin tone: warm hue, light to dark.
cv::Vec3d skin_colour(Random& rng) { return hsv_to_rgb(rng.uniform(15, 35), rng.uniform(0.25, 0.6), rng.uniform(0.35, 0.95)); }

}  // namespace
}  // namespace detail

const std::vector<std::string>& person_keypoint_names() {
  static const std::vector<std::string> names = {
      "nose",       "left_eye",       "right_eye",     "left_ear",    "right_ear",  "left_shoulder",
      "right_shoulder", "left_elbow", "right_elbow",   "left_wrist",  "right_wrist", "left_hip",
      "right_hip",  "left_knee",      "right_knee",    "left_ankle",  "right_ankle"};
  return names;
}

const std::vector<std::array<int64_t, 2>>& person_skeleton() {
  static const std::vector<std::array<int64_t, 2>> skeleton = {
      {16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7}, {6, 8}, {7, 9},
      {8, 10},  {9, 11},  {2, 3},   {1, 2},   {1, 3},   {2, 4},  {3, 5},  {4, 6}, {5, 7}};
  return skeleton;
}

StickFigure render_stick_figure(Random& rng, double height, cv::Point2d pelvis) {
  using namespace detail;
  const double u = height / 8.0;  // one head height
  // Body axis: mostly upright with a lean; now and then bent far over or lying.
  const double lean = rng.chance(0.1) ? rng.uniform(-1.6, 1.6) : 0.2 * rng.normal();
  const cv::Point2d down = from_down(lean), right(down.y, -down.x);  // `right`: image right when upright
  const auto rotate = [&](double angle) {  // direction at `angle` from the body's "down"
    const cv::Point2d d = from_down(angle);
    return right * d.x + down * d.y;
  };

  std::array<cv::Point2d, kPersonKeypoints> k;
  const cv::Point2d neck = pelvis - down * (2.9 * u);
  const double shoulder_half = 0.85 * u * rng.uniform(0.9, 1.15), hip_half = 0.55 * u * rng.uniform(0.9, 1.15);
  k[kLeftShoulder] = neck + right * shoulder_half;
  k[kRightShoulder] = neck - right * shoulder_half;
  k[kLeftHip] = pelvis + right * hip_half;
  k[kRightHip] = pelvis - right * hip_half;
  // Head: slightly turned (yaw shifts the face features sideways) and tilted.
  const double head_radius = 0.5 * u, yaw = rng.uniform(-0.35, 0.35), tilt = 0.15 * rng.normal();
  const cv::Point2d head_down = rotate(tilt), head_right(head_down.y, -head_down.x);
  const cv::Point2d head = neck - head_down * (0.75 * u);
  k[kNose] = head + head_down * (0.12 * u) + head_right * (yaw * head_radius);
  k[kLeftEye] = head - head_down * (0.12 * u) + head_right * ((0.38 + yaw) * head_radius);
  k[kRightEye] = head - head_down * (0.12 * u) + head_right * ((-0.38 + yaw) * head_radius);
  k[kLeftEar] = head + head_right * (0.8 * head_radius * std::cos(yaw) + yaw * 0.2 * head_radius);
  k[kRightEar] = head - head_right * (0.8 * head_radius * std::cos(yaw) - yaw * 0.2 * head_radius);
  // Arms: the shoulder angle swings from hanging down to raised overhead; elbows bend one way.
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? 1.0 : -1.0;  // left limbs go towards `right`
    const double shoulder = sign * rng.uniform(0.1, 2.8), elbow = sign * rng.uniform(-0.3, 2.0);
    const int s = side == 0 ? kLeftShoulder : kRightShoulder;
    k[s + 2] = k[s] + rotate(shoulder) * (1.4 * u);
    k[s + 4] = k[s + 2] + rotate(shoulder + elbow) * (1.3 * u);
    // Legs: hip angle from a little inward to a stride or a kick; knees bend backwards or forwards.
    const double hip = sign * rng.uniform(-0.15, 0.7) + (rng.chance(0.3) ? rng.uniform(-0.6, 0.6) : 0.0);
    const double knee = rng.uniform(-0.9, 0.9) * (rng.chance(0.5) ? 1 : 0.3);
    const int h = side == 0 ? kLeftHip : kRightHip;
    k[h + 2] = k[h] + rotate(hip) * (1.9 * u);
    k[h + 4] = k[h + 2] + rotate(hip + knee) * (1.8 * u);
  }

  // Canvas: the keypoints' extent plus the head and limb thickness.
  double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
  for (const auto& p : k) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  for (const cv::Point2d& p : {head - cv::Point2d(head_radius, head_radius), head + cv::Point2d(head_radius, head_radius)})
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  const int margin = static_cast<int>(std::ceil(0.6 * u)) + 3;
  StickFigure figure;
  figure.sprite.origin = cv::Point(static_cast<int>(std::floor(x0)) - margin, static_cast<int>(std::floor(y0)) - margin);
  const cv::Size size(static_cast<int>(std::ceil(x1)) + margin - figure.sprite.origin.x + 1,
                      static_cast<int>(std::ceil(y1)) + margin - figure.sprite.origin.y + 1);
  cv::Mat rgb = cv::Mat::zeros(size, CV_8UC3), mask = cv::Mat::zeros(size, CV_8UC1);
  const cv::Point2d shift(-figure.sprite.origin.x, -figure.sprite.origin.y);
  const auto px = [&](const cv::Point2d& p) {
    return cv::Point(static_cast<int>(std::floor(p.x + shift.x)), static_cast<int>(std::floor(p.y + shift.y)));
  };
  const auto scalar = [](const cv::Vec3d& c) { return cv::Scalar(c[0], c[1], c[2]); };
  const cv::Vec3d shirt = random_object_colour(rng), skin = skin_colour(rng);
  const cv::Vec3d trousers = rng.chance(0.5) ? hsv_to_rgb(rng.uniform(200, 240), rng.uniform(0.2, 0.7), rng.uniform(0.2, 0.6))
                                             : random_object_colour(rng);
  const bool short_sleeves = rng.chance(0.5);
  const int limb = std::max(2, static_cast<int>(std::lround(0.38 * u)));
  const int leg = std::max(2, static_cast<int>(std::lround(0.48 * u)));
  const auto segment = [&](int a, int b, const cv::Vec3d& colour, int thickness) {
    cv::line(rgb, px(k[a]), px(k[b]), scalar(colour), thickness, cv::LINE_8);
    cv::line(mask, px(k[a]), px(k[b]), 1, thickness, cv::LINE_8);
  };
  // Back to front: legs, torso, arms, head.
  for (int side = 0; side < 2; ++side) {
    segment(kLeftHip + side, kLeftKnee + side, trousers, leg);
    segment(kLeftKnee + side, kLeftAnkle + side, trousers, leg);
  }
  const std::vector<cv::Point> torso = {px(k[kLeftShoulder]), px(k[kRightShoulder]), px(k[kRightHip]), px(k[kLeftHip])};
  cv::fillConvexPoly(rgb, torso, scalar(shirt));
  cv::fillConvexPoly(mask, torso, 1);
  cv::line(rgb, px(k[kLeftShoulder]), px(k[kRightShoulder]), scalar(shirt), limb);
  cv::line(mask, px(k[kLeftShoulder]), px(k[kRightShoulder]), 1, limb);
  cv::line(rgb, px(k[kLeftHip]), px(k[kRightHip]), scalar(trousers), leg);
  cv::line(mask, px(k[kLeftHip]), px(k[kRightHip]), 1, leg);
  for (int side = 0; side < 2; ++side) {
    segment(kLeftShoulder + side, kLeftElbow + side, short_sleeves ? skin : shirt, limb);
    segment(kLeftElbow + side, kLeftWrist + side, skin, limb);
    if (short_sleeves) {
      const cv::Point2d sleeve_end = k[kLeftShoulder + side] + (k[kLeftElbow + side] - k[kLeftShoulder + side]) * 0.45;
      cv::line(rgb, px(k[kLeftShoulder + side]), px(sleeve_end), scalar(shirt), limb + 1);
      cv::line(mask, px(k[kLeftShoulder + side]), px(sleeve_end), 1, limb + 1);
    }
  }
  const cv::Point2d neck_top = neck - head_down * (0.3 * u);
  cv::line(rgb, px(neck), px(neck_top), scalar(skin), limb);
  cv::line(mask, px(neck), px(neck_top), 1, limb);
  const int r = std::max(2, static_cast<int>(std::lround(head_radius)));
  cv::circle(rgb, px(head), r, scalar(skin), cv::FILLED);
  cv::circle(mask, px(head), r, 1, cv::FILLED);
  // Hair on the crown, eyes as dark dots when the head is big enough to show them.
  const cv::Vec3d hair = hsv_to_rgb(rng.uniform(10, 40), rng.uniform(0.3, 0.8), rng.uniform(0.05, 0.5));
  const double crown = std::atan2(-head_down.y, -head_down.x) * 180.0 / kPi;
  cv::ellipse(rgb, px(head), cv::Size(r, r), crown, -80, 80, scalar(hair), cv::FILLED);
  if (r >= 6) {
    for (int e : {kLeftEye, kRightEye}) cv::circle(rgb, px(k[e]), std::max(1, r / 6), cv::Scalar(20, 20, 20), cv::FILLED);
  }
  // Every keypoint lies on the figure (a rounding can leave an ear a pixel outside the head).
  for (const auto& p : k) {
    const cv::Point q = px(p);
    if (q.x >= 0 && q.y >= 0 && q.x < size.width && q.y < size.height && !mask.at<uint8_t>(q)) {
      mask.at<uint8_t>(q) = 1;
      rgb.at<cv::Vec3b>(q) = cv::Vec3b(static_cast<uint8_t>(skin[0]), static_cast<uint8_t>(skin[1]), static_cast<uint8_t>(skin[2]));
    }
  }
  figure.sprite.rgb = rgb;
  figure.sprite.mask = mask;
  figure.keypoints = k;
  return figure;
}

}  // namespace beyond::data
