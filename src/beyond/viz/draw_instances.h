#pragma once
/// Drawing annotated objects over an image: translucent instance masks with outlines, boxes,
/// category labels (with scores for detections), and keypoints joined by the category's skeleton.
/// Works on COCO annotations, so ground truth and a detector's results (read with
/// coco::read_results) are drawn by the same code.
///
///   cv::Mat bgr = cv::imread(image_path);
///   beyond::viz::draw_annotations(bgr, annotations_of_this_image, dataset.categories);
///   cv::imwrite("preview.png", bgr);
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/arg.h>

#include "beyond/data/formats/coco.h"

namespace beyond::viz {

struct DrawOptions {
  /// Opacity of the mask fill.
  TORCH_ARG(double, mask_alpha) = 0.45;
  TORCH_ARG(bool, draw_masks) = true;
  TORCH_ARG(bool, draw_boxes) = true;
  TORCH_ARG(bool, draw_labels) = true;
  TORCH_ARG(bool, draw_keypoints) = true;
  /// Append the score to the label (for detections).
  TORCH_ARG(bool, draw_scores) = false;
  /// Label text size (OpenCV's font scale).
  TORCH_ARG(double, font_scale) = 0.35;
};

/// A distinct, saturated colour for a category id (BGR, as OpenCV draws), the same for every call.
cv::Scalar category_colour(int64_t category_id);

/// Draws `annotations` over `bgr` (CV_8UC3, modified in place), in order, each in its category's
/// colour. Masks are decoded with coco::to_rle (an annotation without a segmentation is drawn as a
/// box only). Keypoints: filled dots when visible (v = 2), rings when hidden (v = 1), nothing for
/// v = 0; skeleton lines join two keypoints that are both labelled. Unknown category ids are drawn
/// with the label "?<id>".
void draw_annotations(cv::Mat& bgr, const std::vector<coco::Annotation>& annotations,
                      const std::vector<coco::Category>& categories, const DrawOptions& options = {});

}  // namespace beyond::viz
