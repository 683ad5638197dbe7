#pragma once
/// Resizing as detection models expect (detectron2's ResizeShortestEdge, torchvision's
/// GeneralizedRCNNTransform): the shorter side becomes `size` -- one of `min_sizes`, drawn uniformly
/// for multi-scale training -- unless the longer side would then exceed max_size, in which case the
/// longer side becomes max_size. Aspect ratio is kept (up to rounding to whole pixels).
///
///   Resize train(ResizeOptions({640, 672, 704, 736, 768, 800}, 1333));   // multi-scale training
///   Resize test(ResizeOptions({800}, 1333));                              // test time
#include <torch/arg.h>

#include <cstdint>
#include <vector>

#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct ResizeOptions {
  ResizeOptions(std::vector<int64_t> min_sizes = {800}, int64_t max_size = 1333)
      : min_sizes_(std::move(min_sizes)), max_size_(max_size) {}
  /// Candidate lengths of the shorter side; one is drawn uniformly per sample.
  TORCH_ARG(std::vector<int64_t>, min_sizes);
  /// Cap on the longer side (<= 0: no cap).
  TORCH_ARG(int64_t, max_size);
};

class Resize : public Transform {
 public:
  explicit Resize(ResizeOptions options = {});
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "Resize"; }
  const ResizeOptions& options() const { return options_; }

 private:
  ResizeOptions options_;
};

}  // namespace beyond::data::transforms
