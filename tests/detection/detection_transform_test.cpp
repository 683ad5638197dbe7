#include "beyond/models/detection/detection_transform.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>

namespace {

using beyond::models::DetectionTransform;
using beyond::models::DetectionTransformOptions;

struct SizeCase {
  int64_t height, width, min_size, max_size;
  std::array<int64_t, 2> resized;  // what torchvision 0.14's GeneralizedRCNNTransform gives
};

// Sizes torchvision gives (measured with /usr/bin/python3): its scale is min_size * (1 / side) in
// float32, two roundings, so a shorter side often lands one pixel short of min_size (799, not 800).
TEST(DetectionTransform, ResizedSizesAreTorchvisions) {
  const SizeCase cases[] = {{330, 150, 256, 352, {351, 159}},  {250, 330, 256, 352, {256, 337}},
                            {480, 640, 800, 1333, {800, 1066}}, {375, 500, 800, 1333, {799, 1066}},
                            {427, 640, 800, 1333, {799, 1199}}, {1000, 200, 800, 1333, {1333, 266}}};
  for (const auto& c : cases) {
    const DetectionTransform t(DetectionTransformOptions().min_size({c.min_size}).max_size(c.max_size));
    EXPECT_EQ(t.resized_size({c.height, c.width}, c.min_size), c.resized)
        << c.height << "x" << c.width << " to " << c.min_size << "/" << c.max_size;
  }
  // forward() resizes to that size and pads the batch to a multiple of 32.
  const DetectionTransform t(DetectionTransformOptions().min_size({256}).max_size(352));
  const auto batch = t.forward({torch::rand({3, 330, 150}), torch::rand({3, 250, 330})});
  EXPECT_EQ(batch.images.image_sizes()[0], (std::array<int64_t, 2>{351, 159}));
  EXPECT_EQ(batch.images.image_sizes()[1], (std::array<int64_t, 2>{256, 337}));
  EXPECT_EQ(batch.images.tensor().sizes(), (std::vector<int64_t>{2, 3, 352, 352}));
}

}  // namespace
