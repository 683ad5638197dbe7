#include "beyond/data/transforms/resize.h"

#include "beyond/core/error.h"
#include "beyond/data/transforms/functional.h"

namespace beyond::data::transforms {

Resize::Resize(ResizeOptions options) : options_(std::move(options)) {
  BEYOND_CHECK(!options_.min_sizes().empty(), "Resize: min_sizes is empty; give at least one shorter-side length");
  for (int64_t s : options_.min_sizes()) BEYOND_CHECK(s > 0, "Resize: min_sizes must be positive, got ", s);
}

void Resize::apply(Sample& sample, at::Generator& generator) const {
  sample.validate(name());
  const auto& sizes = options_.min_sizes();
  const int64_t pick = sizes.size() == 1 ? 0 : detail::randint(generator, 0, static_cast<int64_t>(sizes.size()) - 1);
  const auto [h, w] = shortest_edge_size(sample.height(), sample.width(), sizes[pick], options_.max_size());
  resize(sample, h, w);
}

}  // namespace beyond::data::transforms
