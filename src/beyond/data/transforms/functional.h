#pragma once
/// The deterministic operations the random transforms are made of, usable on their own (for test-time
/// resizing, for undoing a transform, for visualisation). Each geometric one moves the image, the
/// target's boxes, masks and keypoints, and the semantic map together; other target fields (labels,
/// scores, iscrowd ...) are kept, and filtered with the instances where instances are removed.
///
/// Coordinates are continuous pixel coordinates (pixel (i, j) covers [j, j + 1) x [i, i + 1)), for
/// boxes and keypoints alike, so a resize scales them about the origin and a flip maps x to W - x.
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

#include "beyond/data/transforms/sample.h"

namespace beyond::data::transforms {

/// Resizes to height x width: the image bilinearly (uint8 stays uint8, rounded), boxes and keypoint
/// coordinates scaled by (width / W, height / H), masks and the semantic map by nearest neighbour
/// with pixel-centre alignment (output pixel i samples input floor((i + 0.5) * in / out)).
void resize(Sample& sample, int64_t height, int64_t width);

/// The size (height, width) that resizing an h x w image so that its shorter side is `short_side`,
/// unless that makes its longer side exceed `max_size` (<= 0: no cap), in which case the longer side
/// is max_size, gives (detectron2's ResizeShortestEdge; sides rounded to the nearest integer).
std::array<int64_t, 2> shortest_edge_size(int64_t h, int64_t w, int64_t short_side, int64_t max_size);

/// Mirrors left-right. Boxes become (W - x2, y1, W - x1, y2), keypoints x -> W - x and then the
/// keypoints are permuted by `flip_map` (flip_map[k] = index of keypoint k's mirror image, e.g. left
/// eye <-> right eye), so that "left" still means the object's left. An empty flip_map keeps the
/// order; otherwise its size must equal the number of keypoints. Flipping twice restores coordinates
/// exactly when they lie on a binary grid (integers, halves ... as annotations do), otherwise to within
/// float rounding of W - x.
void hflip(Sample& sample, const std::vector<int64_t>& flip_map);
/// Boxes [N, 4] (x1, y1, x2, y2) mirrored left-right in an image `width` pixels wide: (W - x2, y1, W - x1, y2).
/// For boxes that travel beside a Sample, such as a Fast R-CNN image's proposals.
torch::Tensor hflip_boxes(const torch::Tensor& boxes, double width);

/// COCO's person keypoint flip map (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
const std::vector<int64_t>& coco_person_flip_map();

/// Crops the region rows [top, top + height), columns [left, left + width), which must lie inside the
/// image. Boxes are shifted and clipped to the crop; instances whose clipped box has no area are
/// removed (with their masks, keypoints and other fields); keypoints outside the crop get
/// visibility 0 (their coordinates are kept, shifted).
void crop(Sample& sample, int64_t top, int64_t left, int64_t height, int64_t width);

/// ImageNet's channel statistics (of images in [0, 1]), the defaults of Normalize.
const std::vector<double>& imagenet_mean();
const std::vector<double>& imagenet_std();

/// (image - mean) / std per channel as float32; a uint8 image is first divided by 255.
torch::Tensor normalize(const torch::Tensor& image, const std::vector<double>& mean, const std::vector<double>& std);
/// The inverse: image * std + mean, float32 in the [0, 1] scale.
torch::Tensor denormalize(const torch::Tensor& image, const std::vector<double>& mean, const std::vector<double>& std);

/// Colour adjustments of a float RGB image [3, H, W] in [0, 1] (results clamped to [0, 1]), with
/// torchvision's definitions (checked equal to torchvision 0.14's tensor functions): brightness
/// scales, contrast blends with the mean grey level, saturation blends with the grey image (luma
/// 0.2989 R + 0.587 G + 0.114 B), hue rotates the HSV hue by `shift` turns (in [-0.5, 0.5]).
torch::Tensor adjust_brightness(const torch::Tensor& image, double factor);
torch::Tensor adjust_contrast(const torch::Tensor& image, double factor);
torch::Tensor adjust_saturation(const torch::Tensor& image, double factor);
torch::Tensor adjust_hue(const torch::Tensor& image, double shift);
/// Luma of an RGB image: [1, H, W].
torch::Tensor rgb_to_grayscale(const torch::Tensor& image);

}  // namespace beyond::data::transforms
