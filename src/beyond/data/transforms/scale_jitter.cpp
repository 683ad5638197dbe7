#include "beyond/data/transforms/scale_jitter.h"

#include <algorithm>
#include <cmath>

#include "beyond/core/error.h"
#include "beyond/data/transforms/functional.h"

namespace beyond::data::transforms {

ScaleJitter::ScaleJitter(ScaleJitterOptions options) : options_(options) {
  BEYOND_CHECK(options_.target_height() > 0 && options_.target_width() > 0,
               "ScaleJitter: the target size must be positive, got ", options_.target_height(), " x ",
               options_.target_width());
  BEYOND_CHECK(options_.min_scale() > 0 && options_.min_scale() <= options_.max_scale(),
               "ScaleJitter: need 0 < min_scale <= max_scale, got [", options_.min_scale(), ", ", options_.max_scale(),
               "]");
}

void ScaleJitter::apply(Sample& sample, at::Generator& generator) const {
  sample.validate(name());
  const double scale = detail::uniform(generator, options_.min_scale(), options_.max_scale());
  const double h = sample.height(), w = sample.width();
  const double r = std::min(options_.target_height() * scale / h, options_.target_width() * scale / w);
  const auto px = [](double v) { return std::max<int64_t>(1, static_cast<int64_t>(std::floor(v + 0.5))); };
  resize(sample, px(h * r), px(w * r));
}

}  // namespace beyond::data::transforms
