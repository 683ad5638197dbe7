#pragma once
/// Mirrors a sample left-right with probability p. Keypoints are mirrored and their left/right
/// indices swapped through the flip map (COCO's 17 person keypoints by default), so a flipped
/// person's "left wrist" is still its left wrist.
///
///   RandomHorizontalFlip flip(RandomHorizontalFlipOptions().p(0.5));
#include <torch/arg.h>

#include <cstdint>
#include <vector>

#include "beyond/data/transforms/functional.h"
#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct RandomHorizontalFlipOptions {
  TORCH_ARG(double, p) = 0.5;
  /// flip_map[k] = index of keypoint k's mirror image; empty = keep the order (no left/right pairs).
  TORCH_ARG(std::vector<int64_t>, flip_map) = coco_person_flip_map();
};

class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(RandomHorizontalFlipOptions options = {});
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "RandomHorizontalFlip"; }

 private:
  RandomHorizontalFlipOptions options_;
};

}  // namespace beyond::data::transforms
