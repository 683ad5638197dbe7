#include "beyond/data/transforms/random_crop.h"

#include <algorithm>

#include "beyond/core/error.h"
#include "beyond/data/transforms/functional.h"

namespace beyond::data::transforms {

RandomCrop::RandomCrop(RandomCropOptions options) : options_(options) {
  BEYOND_CHECK(options_.height() > 0 && options_.width() > 0, "RandomCrop: the crop size must be positive, got ",
               options_.height(), " x ", options_.width());
}

void RandomCrop::apply(Sample& sample, at::Generator& generator) const {
  sample.validate(name());
  const int64_t h = std::min(options_.height(), sample.height()), w = std::min(options_.width(), sample.width());
  const int64_t top = detail::randint(generator, 0, sample.height() - h);
  const int64_t left = detail::randint(generator, 0, sample.width() - w);
  crop(sample, top, left, h, w);
}

}  // namespace beyond::data::transforms
