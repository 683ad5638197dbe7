#include "beyond/data/transforms/transform.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::data::transforms {

Compose::Compose(std::vector<TransformPtr> transforms) : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i) {
    BEYOND_CHECK(transforms_[i] != nullptr, "Compose: transform ", i, " is null");
  }
}

void Compose::apply(Sample& sample, at::Generator& generator) const {
  for (const auto& t : transforms_) t->apply(sample, generator);
}

at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

namespace detail {
double uniform(at::Generator& generator, double lo, double hi) {
  const double u = torch::rand({1}, generator, torch::kFloat64).item<double>();
  return lo + (hi - lo) * u;
}

int64_t randint(at::Generator& generator, int64_t lo, int64_t hi) {
  BEYOND_CHECK(lo <= hi, "randint: empty range [", lo, ", ", hi, "]");
  return torch::randint(lo, hi + 1, {1}, generator, torch::kInt64).item<int64_t>();
}
}  // namespace detail

}  // namespace beyond::data::transforms
