#include "beyond/models/layers/spatial_pyramid_pooling.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/ops/roi_ops.h"

namespace beyond::models {

SpatialPyramidPoolingImpl::SpatialPyramidPoolingImpl(SpatialPyramidPoolingOptions options)
    : options(std::move(options)) {
  reset();
}

void SpatialPyramidPoolingImpl::reset() {
  BEYOND_CHECK(!options.levels().empty(), "SpatialPyramidPooling: levels must not be empty");
  for (int64_t n : options.levels()) BEYOND_CHECK(n > 0, "SpatialPyramidPooling: levels must be positive, got ", n);
}

torch::Tensor SpatialPyramidPoolingImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(2) > 0 && x.size(3) > 0,
               "SpatialPyramidPooling expects x of shape [N, C, H, W] with H, W >= 1, got ", x.sizes());
  std::vector<torch::Tensor> parts;
  for (int64_t n : options.levels())
    parts.push_back(std::get<0>(torch::adaptive_max_pool2d(x, {n, n})).flatten(1));
  return torch::cat(parts, 1);
}

torch::Tensor SpatialPyramidPoolingImpl::pool_rois(const torch::Tensor& x, const torch::Tensor& rois,
                                                   double spatial_scale) {
  std::vector<torch::Tensor> parts;
  for (int64_t n : options.levels()) parts.push_back(std::get<0>(ops::roi_pool(x, rois, spatial_scale, n, n)).flatten(1));
  return torch::cat(parts, 1);
}

int64_t SpatialPyramidPoolingImpl::output_size(int64_t channels) const {
  int64_t cells = 0;
  for (int64_t n : options.levels()) cells += n * n;
  return channels * cells;
}

}  // namespace beyond::models
