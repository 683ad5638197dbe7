#pragma once
/// The transform interface: a transform changes a Sample in place, drawing any randomness from the
/// generator it is given, so one seed reproduces a whole augmentation pipeline, and a loader can give
/// each worker (or each example) its own generator without shared state. Transforms are const and
/// hold only options, so one pipeline can serve several threads.
///
///   using namespace beyond::data::transforms;
///   Compose pipeline({std::make_shared<RandomHorizontalFlip>(),
///                     std::make_shared<Resize>(ResizeOptions({640, 672, 704}, 1000)),
///                     std::make_shared<Normalize>()});
///   at::Generator gen = make_generator(42);
///   pipeline.apply(sample, gen);
#include <ATen/core/Generator.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "beyond/data/transforms/sample.h"

namespace beyond::data::transforms {

class Transform {
 public:
  virtual ~Transform() = default;
  /// Transforms `sample` in place. Throws beyond::Error (naming the transform) if the sample is
  /// inconsistent (see Sample::validate) or of a kind the transform cannot take.
  virtual void apply(Sample& sample, at::Generator& generator) const = 0;
  /// A short name for messages, e.g. "Resize".
  virtual std::string name() const = 0;

  /// A transformed copy of `sample` (tensors the transform does not change are shared).
  Sample operator()(Sample sample, at::Generator& generator) const {
    apply(sample, generator);
    return sample;
  }
};

using TransformPtr = std::shared_ptr<const Transform>;

/// Applies transforms one after another.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<TransformPtr> transforms);
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "Compose"; }
  const std::vector<TransformPtr>& transforms() const { return transforms_; }

 private:
  std::vector<TransformPtr> transforms_;
};

/// A CPU generator seeded with `seed`, independent of LibTorch's default one.
at::Generator make_generator(uint64_t seed);

namespace detail {
/// A uniform draw from [lo, hi).
double uniform(at::Generator& generator, double lo, double hi);
/// A uniform integer draw from [lo, hi] (both ends included).
int64_t randint(at::Generator& generator, int64_t lo, int64_t hi);
}  // namespace detail

}  // namespace beyond::data::transforms
