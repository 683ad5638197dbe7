#include "beyond/data/transforms/color_jitter.h"

#include <torch/torch.h>

#include <algorithm>

#include "beyond/core/error.h"
#include "beyond/data/transforms/functional.h"

namespace beyond::data::transforms {

ColorJitter::ColorJitter(ColorJitterOptions options) : options_(options) {
  BEYOND_CHECK(options_.brightness() >= 0 && options_.contrast() >= 0 && options_.saturation() >= 0,
               "ColorJitter: brightness, contrast and saturation must be non-negative, got ", options_.brightness(),
               ", ", options_.contrast(), ", ", options_.saturation());
  BEYOND_CHECK(options_.hue() >= 0 && options_.hue() <= 0.5, "ColorJitter: hue must be in [0, 0.5], got ",
               options_.hue());
}

void ColorJitter::apply(Sample& sample, at::Generator& generator) const {
  sample.validate(name());
  BEYOND_CHECK(sample.image.size(0) == 3, name(), ": needs an RGB image [3, H, W], got ", sample.image.sizes());
  const bool bytes = sample.image.scalar_type() == torch::kUInt8;
  auto img = bytes ? sample.image.to(torch::kFloat32) / 255 : sample.image;
  const auto factor = [&](double amount) { return detail::uniform(generator, std::max(0.0, 1 - amount), 1 + amount); };
  // Draw the order and every factor up front, so the draws do not depend on which are enabled.
  const auto order = torch::randperm(4, generator, torch::kInt64);
  const double fb = factor(options_.brightness()), fc = factor(options_.contrast()), fs = factor(options_.saturation()),
               fh = detail::uniform(generator, -options_.hue(), options_.hue());
  for (int64_t i = 0; i < 4; ++i) {
    switch (order[i].item<int64_t>()) {
      case 0:
        if (options_.brightness() > 0) img = adjust_brightness(img, fb);
        break;
      case 1:
        if (options_.contrast() > 0) img = adjust_contrast(img, fc);
        break;
      case 2:
        if (options_.saturation() > 0) img = adjust_saturation(img, fs);
        break;
      default:
        if (options_.hue() > 0) img = adjust_hue(img, fh);
        break;
    }
  }
  sample.image = bytes ? (img * 255).round().clamp(0, 255).to(torch::kUInt8) : img;
}

}  // namespace beyond::data::transforms
