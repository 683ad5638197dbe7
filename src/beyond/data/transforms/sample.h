#pragma once
/// One training example of a vision task as the transforms see it: the image, its objects and, for
/// semantic segmentation, a label map. Geometric transforms move all three together.
///
///   beyond::data::Sample s;
///   s.image = beyond::read_image("scene_0001.png");   // uint8 [3, H, W]
///   s.target = beyond::Instances(H, W);              // boxes, labels, masks, keypoints ...
///   s.semantic = label_map;                          // optional integer [H, W], 255 = ignore
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "beyond/structures/instances.h"

namespace beyond::data {

/// The label of pixels that no loss or metric should count (borders, ambiguous regions, padding).
constexpr int64_t kIgnoreLabel = 255;

struct Sample {
  torch::Tensor image;     // [C, H, W], uint8 (0..255) or floating point (0..1 until normalised)
  Instances target;        // objects of this image; its image size must be H x W
  torch::Tensor semantic;  // optional: integer [H, W] class per pixel, kIgnoreLabel = ignore

  int64_t height() const { return image.size(1); }
  int64_t width() const { return image.size(2); }
  bool has_semantic() const { return semantic.defined(); }

  /// Throws beyond::Error, naming `where`, unless the parts agree: image [C, H, W] of uint8 or
  /// floating point; target for an H x W image, with boxes [N, 4] float, masks bool/uint8 [N, H, W],
  /// keypoints [N, K, 3]; semantic (when present) integer [H, W].
  void validate(const std::string& where) const;
};

}  // namespace beyond::data
