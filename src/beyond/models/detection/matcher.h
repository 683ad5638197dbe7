#pragma once
/// Assigns each prediction (anchor, proposal) at most one ground-truth box from an IoU matrix, with
/// torchvision's Matcher semantics so that detectors trained here see the same labels as torchvision's.
///
///   beyond::models::Matcher matcher(0.7, 0.3, /*allow_low_quality_matches=*/true);
///   auto matches = matcher(box_iou(gt_boxes, anchors));   // [N] int64: gt index, -1 or -2
///
/// For prediction n with best quality q (first maximum over the ground truth):
///   q >= high            -> index of that ground truth
///   low <= q < high      -> BETWEEN_THRESHOLDS (-2), ignored by the losses
///   q < low              -> BELOW_LOW_THRESHOLD (-1), a negative
/// With allow_low_quality_matches, every prediction that attains some ground truth's highest quality
/// (ties included) gets its best ground truth back even below `high`: every ground truth then has at
/// least one match (Faster R-CNN's rule for small or oddly shaped objects).
#include <torch/types.h>

namespace beyond::models {

class Matcher {
 public:
  static constexpr int64_t BELOW_LOW_THRESHOLD = -1;
  static constexpr int64_t BETWEEN_THRESHOLDS = -2;

  /// Requires low_threshold <= high_threshold.
  Matcher(double high_threshold, double low_threshold, bool allow_low_quality_matches = false);

  /// match_quality: [M ground truth, N predictions]; both non-zero (an image without ground truth is
  /// handled by the caller, as in torchvision). Returns [N] int64.
  torch::Tensor operator()(const torch::Tensor& match_quality) const;

  double high_threshold() const { return high_; }
  double low_threshold() const { return low_; }
  bool allow_low_quality_matches() const { return allow_low_quality_; }

 private:
  double high_;
  double low_;
  bool allow_low_quality_;
};

}  // namespace beyond::models
