#include "beyond/data/transforms/random_horizontal_flip.h"

#include "beyond/core/error.h"

namespace beyond::data::transforms {

RandomHorizontalFlip::RandomHorizontalFlip(RandomHorizontalFlipOptions options) : options_(std::move(options)) {
  BEYOND_CHECK(options_.p() >= 0 && options_.p() <= 1, "RandomHorizontalFlip: p must be in [0, 1], got ", options_.p());
  const auto& map = options_.flip_map();
  const int64_t k = static_cast<int64_t>(map.size());
  for (int64_t i = 0; i < k; ++i) {
    BEYOND_CHECK(map[i] >= 0 && map[i] < k && map[map[i]] == i, "RandomHorizontalFlip: the flip map must pair ",
                 "keypoints with each other (flip_map[flip_map[k]] == k, indices in [0, ", k, ")); entry ", i, " is ",
                 map[i]);
  }
}

void RandomHorizontalFlip::apply(Sample& sample, at::Generator& generator) const {
  sample.validate(name());
  // Always draw, so that the generator advances the same way whatever p is.
  if (detail::uniform(generator, 0, 1) < options_.p()) hflip(sample, options_.flip_map());
}

}  // namespace beyond::data::transforms
