#pragma once
/// Refining a coarse binary object mask (a rough outline, or just a box around the object) on a
/// photograph with the dense CRF (dense_crf.h), as `beyond refine` does: the coarse mask becomes a
/// two-label unary (background, object) that is confident far from the mask's edge and uncertain
/// near it, and the CRF's appearance kernel moves the edge onto the image's colour edges.
///
///   std::vector<uint8_t> coarse = beyond::crf::box_mask(width, height, {x, y, w, h});
///   std::vector<uint8_t> refined = beyond::crf::refine_mask(rgb, width, height, coarse, /*from_box=*/true);
///
/// The unary rule (MaskPrior), with d the distance in pixels from a pixel to the other side of the
/// coarse mask's edge and b the band width:
///   inside a coarse mask:   p(object) = 1/2 + (inside - 1/2) * min(1, d / b)       inside = 0.9, b = 15%
///   outside a coarse mask:  p(object) = 1/2 - (1/2 - outside) * min(1, d / b)      outside = 0.1
///   inside a box:           p(object) = 1/2 + (inside_box - 1/2) * min(1, d / b)   inside_box = 0.7, b = 25%
///   outside a box:          p(object) = outside_box = 0.02   (a box bounds the object: no band outside)
/// so p = 1/2 on the edge itself. The automatic b is that share of the shorter side of the coarse
/// mask's bounding box (at least 2 px). A box says less about which of its pixels are the object than
/// a mask does, hence the weaker, wider prior inside it: the appearance kernel then hands the box's
/// background (colours also found outside it) to the background. The image border is not an edge (an
/// object cut by the border stays certain there). Distances are chamfer (3-4) distances, within 8%
/// of Euclidean.
#include <array>
#include <cstdint>
#include <vector>

#include "beyond/crf/dense_crf.h"

namespace beyond::crf {

/// See the file comment.
struct MaskPrior {
  float inside = 0.9f;
  float outside = 0.1f;
  float inside_box = 0.7f;
  float outside_box = 0.02f;
  /// Band width in pixels; 0 = 15% (a mask) or 25% (a box) of the shorter side of the coarse mask's
  /// bounding box, at least 2.
  float band = 0;
};

/// Box x, y, width, height in pixels (column x .. x + width - 1, row y .. y + height - 1).
using PixelBox = std::array<int64_t, 4>;

/// A width x height mask, 1 inside `box` and 0 elsewhere. The box must lie in the image.
std::vector<uint8_t> box_mask(int64_t width, int64_t height, const PixelBox& box);

/// Chamfer (3-4) distance in pixels from each pixel to the nearest pixel where `target` is nonzero
/// (0 on them; a large value everywhere when there is none). [height, width].
std::vector<float> distance_to(const std::vector<uint8_t>& target, int64_t width, int64_t height);

/// The prior's p(object) per pixel for `coarse` ([height, width], nonzero = object).
std::vector<float> coarse_mask_probability(const std::vector<uint8_t>& coarse, int64_t width, int64_t height,
                                           bool from_box, const MaskPrior& prior = MaskPrior());

/// The refined mask ([height, width], 0 or 255) of `coarse` on `rgb` ([height, width, 3]): the CRF of
/// `model` on the unary -log [1 - p, p] of coarse_mask_probability, labelled by its MAP.
std::vector<uint8_t> refine_mask(const uint8_t* rgb, int64_t width, int64_t height, const std::vector<uint8_t>& coarse,
                                 bool from_box, const Options& model = Options(), const MaskPrior& prior = MaskPrior());

/// Intersection over union of two masks (nonzero = in); 1 when both are empty.
double mask_iou(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

}  // namespace beyond::crf
