#pragma once
/// Converts the image to float32 and normalises each channel: (x - mean) / std, with a uint8 image
/// first scaled to [0, 1]. The defaults are ImageNet's statistics (mean 0.485, 0.456, 0.406; std
/// 0.229, 0.224, 0.225), which ImageNet-pretrained backbones (torchvision's) expect. The last
/// transform of a pipeline; denormalize() undoes it for display.
///
///   Normalize norm;                                         // ImageNet statistics
///   Normalize grey(NormalizeOptions().mean({0.5}).std({0.5}));
#include <torch/arg.h>

#include <vector>

#include "beyond/data/transforms/functional.h"
#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct NormalizeOptions {
  TORCH_ARG(std::vector<double>, mean) = imagenet_mean();
  TORCH_ARG(std::vector<double>, std) = imagenet_std();
};

class Normalize : public Transform {
 public:
  explicit Normalize(NormalizeOptions options = {});
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "Normalize"; }

 private:
  NormalizeOptions options_;
};

}  // namespace beyond::data::transforms
