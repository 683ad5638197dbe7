#pragma once
/// Anchors for region proposal networks, the same boxes in the same order as torchvision's
/// AnchorGenerator (so a torchvision RPN head's weights apply unchanged).
///
///   beyond::ops::AnchorGenerator gen({{32}, {64}, {128}, {256}, {512}}, {{0.5, 1.0, 2.0}});
///   auto anchors = gen.anchors({800, 1088}, {{200, 272}, {100, 136}, {50, 68}, {25, 34}, {13, 17}});
#include <ATen/ATen.h>

#include <vector>

namespace beyond::ops {

/// The anchors of one cell: every (aspect ratio, size) pair, ratio-major, centred on (0, 0), rounded.
/// aspect ratio = height / width. [len(ratios) * len(sizes), 4].
at::Tensor cell_anchors(at::IntArrayRef sizes, at::ArrayRef<double> aspect_ratios);

/// `cell_anchors` repeated at every position of a grid_size (h, w) grid with the given stride (pixels).
/// Position-major, row by row: [h * w * A, 4].
at::Tensor grid_anchors(const at::Tensor& cell_anchors, at::IntArrayRef grid_size, at::IntArrayRef stride);

/// Anchors of several feature levels: level i uses sizes[i] and aspect_ratios[i] (or aspect_ratios[0]
/// for every level when only one list is given), stride = image size / feature size (integer division).
class AnchorGenerator {
 public:
  AnchorGenerator(std::vector<std::vector<int64_t>> sizes, std::vector<std::vector<double>> aspect_ratios);
  /// Anchors per position of each level.
  std::vector<int64_t> num_anchors_per_location() const;
  /// All levels concatenated, level by level: [sum_i h_i * w_i * A_i, 4] (float32).
  at::Tensor anchors(at::IntArrayRef image_size, const std::vector<std::vector<int64_t>>& feature_sizes) const;

 private:
  std::vector<at::Tensor> cell_anchors_;
};

}  // namespace beyond::ops
