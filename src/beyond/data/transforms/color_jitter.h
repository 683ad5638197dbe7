#pragma once
/// Random brightness, contrast, saturation and hue changes (torchvision's ColorJitter): factors drawn
/// uniformly from [max(0, 1 - brightness), 1 + brightness] (likewise contrast and saturation) and a
/// hue shift from [-hue, hue] turns, applied in a random order. The image only: annotations are
/// untouched. uint8 images stay uint8 (rounded); float images are taken to be in [0, 1].
///
///   ColorJitter jitter(ColorJitterOptions().brightness(0.4).contrast(0.4).saturation(0.4).hue(0.1));
#include <torch/arg.h>

#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct ColorJitterOptions {
  TORCH_ARG(double, brightness) = 0;
  TORCH_ARG(double, contrast) = 0;
  TORCH_ARG(double, saturation) = 0;
  /// At most 0.5 (half a turn of the colour wheel).
  TORCH_ARG(double, hue) = 0;
};

class ColorJitter : public Transform {
 public:
  explicit ColorJitter(ColorJitterOptions options = {});
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "ColorJitter"; }

 private:
  ColorJitterOptions options_;
};

}  // namespace beyond::data::transforms
