#pragma once
/// Crops a height x width region at a uniformly drawn position (the whole side where the image is
/// smaller than the crop). Boxes are clipped to the crop and instances whose box no longer has area
/// are removed with their masks and keypoints; keypoints left outside get visibility 0. See crop().
///
///   RandomCrop crop(RandomCropOptions(512, 512));
#include <torch/arg.h>

#include <cstdint>

#include "beyond/data/transforms/transform.h"

namespace beyond::data::transforms {

struct RandomCropOptions {
  RandomCropOptions(int64_t height, int64_t width) : height_(height), width_(width) {}
  TORCH_ARG(int64_t, height);
  TORCH_ARG(int64_t, width);
};

class RandomCrop : public Transform {
 public:
  explicit RandomCrop(RandomCropOptions options);
  void apply(Sample& sample, at::Generator& generator) const override;
  std::string name() const override { return "RandomCrop"; }

 private:
  RandomCropOptions options_;
};

}  // namespace beyond::data::transforms
