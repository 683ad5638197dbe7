#pragma once
/// Scale jitter (the "large scale jitter" of Ghiasi et al. 2021, Copy-Paste; torchvision's
/// ScaleJitter): the image is resized, keeping its aspect ratio, to fit a target_height x
/// target_width box scaled by a factor drawn uniformly from [min_scale, max_scale] (sides rounded to
/// whole pixels). Follow it with RandomCrop (and padding at batching) to train at a fixed size.
///
///   Compose lsj({std::make_shared<ScaleJitter>(ScaleJitterOptions(1024, 1024).min_scale(0.1).max_scale(2.0)),
///                std::make_shared<RandomCrop>(RandomCropOptions(1024, 1024))});
#include <torch/arg.h>

#include <cstdint>

#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct ScaleJitterOptions {
  ScaleJitterOptions(int64_t target_height = 1024, int64_t target_width = 1024)
      : target_height_(target_height), target_width_(target_width) {}
  TORCH_ARG(int64_t, target_height);
  TORCH_ARG(int64_t, target_width);
  TORCH_ARG(double, min_scale) = 0.1;
  TORCH_ARG(double, max_scale) = 2.0;
};

class ScaleJitter : public Transform {
 public:
  explicit ScaleJitter(ScaleJitterOptions options = {});
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "ScaleJitter"; }

 private:
  ScaleJitterOptions options_;
};

}  // namespace beyond::data::transforms
