#include <gtest/gtest.h>
#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/models/layers/spatial_pyramid_pooling.h"
#include "beyond/ops/roi_ops.h"

namespace beyond::models {
namespace {

TEST(SpatialPyramidPooling, AnyInputSizeGivesTheSameLength) {
  SpatialPyramidPooling spp(SpatialPyramidPoolingOptions().levels({1, 2, 4}));
  for (auto hw : std::vector<std::pair<int64_t, int64_t>>{{5, 7}, {13, 13}, {32, 20}, {4, 4}}) {
    auto y = spp(torch::randn({2, 3, hw.first, hw.second}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, spp->output_size(3)})) << hw.first << "x" << hw.second;
  }
  EXPECT_EQ(spp->output_size(3), 3 * 21);
}

TEST(SpatialPyramidPooling, LevelOneIsTheGlobalMaxAndGradientsFlow) {
  SpatialPyramidPooling spp(SpatialPyramidPoolingOptions().levels({1, 2}));
  auto x = torch::randn({1, 2, 6, 6}, torch::requires_grad());
  auto y = spp(x);
  EXPECT_TRUE(torch::equal(y.slice(1, 0, 2), x.amax({2, 3})));
  y.sum().backward();
  // Each level routes its gradient to one maximum per cell: 1 + 4 cells per channel.
  EXPECT_EQ(x.grad().sum().item<float>(), 2 * (1 + 4));
}

TEST(SpatialPyramidPooling, RoiPyramidMatchesPerLevelRoiPool) {
  SpatialPyramidPooling spp(SpatialPyramidPoolingOptions().levels({1, 3}));
  auto x = torch::randn({2, 4, 16, 16});
  auto rois = torch::tensor({{0.f, 0.f, 0.f, 60.f, 60.f}, {1.f, 8.f, 8.f, 40.f, 24.f}});
  auto y = spp->pool_rois(x, rois, 0.25);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 4 * (1 + 9)}));
  // RoI 0 covers all of image 0 (60 * 0.25 rounds to the last cell), so its level 1 is the global max.
  EXPECT_TRUE(torch::equal(y[0].slice(0, 0, 4), x[0].amax({1, 2})));
  auto level3 = std::get<0>(ops::roi_pool(x, rois, 0.25, 3, 3)).flatten(1);
  EXPECT_TRUE(torch::equal(y.slice(1, 4), level3));
}

TEST(SpatialPyramidPooling, RejectsBadInput) {
  EXPECT_THROW(SpatialPyramidPooling(SpatialPyramidPoolingOptions().levels({})), beyond::Error);
  SpatialPyramidPooling spp;
  EXPECT_THROW(spp(torch::randn({3, 8, 8})), beyond::Error);
}

}  // namespace
}  // namespace beyond::models
