#include "beyond/data/transforms/normalize.h"

#include "beyond/core/error.h"

namespace beyond::data::transforms {

Normalize::Normalize(NormalizeOptions options) : options_(std::move(options)) {
  BEYOND_CHECK(!options_.mean().empty() && options_.mean().size() == options_.std().size(), "Normalize: mean has ",
               options_.mean().size(), " values and std ", options_.std().size(), "; give one per channel");
  for (double s : options_.std()) BEYOND_CHECK(s > 0, "Normalize: std must be positive, got ", s);
}

void Normalize::apply(Sample& sample, at::Generator& /*generator*/) const {
  sample.validate(name());
  sample.image = normalize(sample.image, options_.mean(), options_.std());
}

}  // namespace beyond::data::transforms
