#pragma once
/// Articulated stick figures: the `scenes` dataset's "person" class. A figure is drawn from a random
/// pose (lean, arm and leg angles, knee and elbow bends) with a head, torso, arms and legs, and
/// carries COCO's 17 keypoints in COCO's order, so that keypoint heads and the OKS evaluator can be
/// trained and scored on it exactly as on COCO persons.
///
/// Figures face the camera: the person's left (COCO's "left_*") is on the image's right when upright.
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "beyond/data/generators/random.h"
#include "beyond/data/generators/sprite.h"

namespace beyond::data {

inline constexpr int kPersonKeypoints = 17;

/// COCO's keypoint names in COCO's order (nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
/// ankles; left before right).
const std::vector<std::string>& person_keypoint_names();
/// COCO's person skeleton: 1-based pairs of keypoint indices, as in the COCO category.
const std::vector<std::array<int64_t, 2>>& person_skeleton();

struct StickFigure {
  Sprite sprite;
  /// Keypoints in continuous image coordinates (pixel (c, r) covers [c, c+1) x [r, r+1)); each lies on
  /// a pixel of the sprite's mask, so "visible" means "that pixel is not covered by a later object".
  std::array<cv::Point2d, kPersonKeypoints> keypoints;
};

/// A figure about `height` pixels tall (head to ankles when standing) whose pelvis is at `pelvis`
/// (image coordinates), in a pose and clothes drawn from `rng`.
StickFigure render_stick_figure(Random& rng, double height, cv::Point2d pelvis);

}  // namespace beyond::data
