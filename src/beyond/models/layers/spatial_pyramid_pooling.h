#pragma once
/// Spatial pyramid pooling (He et al., SPPnet 2014): max-pools a feature map over an n x n grid for
/// every pyramid level n and concatenates the results, so maps of any size give one fixed-length
/// vector. Over whole images it uses adaptive max pooling; over RoIs (the detection path) it is
/// roi_pool at every level.
///
///   beyond::models::SpatialPyramidPooling spp(beyond::models::SpatialPyramidPoolingOptions().levels({1, 2, 4}));
///   auto v = spp(features);                        // [N, C * (1 + 4 + 16)]
///   auto r = spp->pool_rois(features, rois, 1.0 / 16);   // [K, C * 21]
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace beyond::models {

struct SpatialPyramidPoolingOptions {
  /// Grid sizes of the pyramid, e.g. {1, 2, 4} (SPPnet used {1, 2, 3, 6} for detection).
  TORCH_ARG(std::vector<int64_t>, levels) = std::vector<int64_t>{1, 2, 4};
};

class SpatialPyramidPoolingImpl : public torch::nn::Cloneable<SpatialPyramidPoolingImpl> {
 public:
  explicit SpatialPyramidPoolingImpl(SpatialPyramidPoolingOptions options = {});
  void reset() override;
  /// x: [N, C, H, W] with H, W >= 1 -> [N, C * sum(n^2)], levels in order, each flattened as C x n x n.
  torch::Tensor forward(const torch::Tensor& x);
  /// The pyramid of every RoI ([K, 5], batch index first) on x, with roi_pool: [K, C * sum(n^2)].
  torch::Tensor pool_rois(const torch::Tensor& x, const torch::Tensor& rois, double spatial_scale);
  /// Length of the output vector for `channels` input channels.
  int64_t output_size(int64_t channels) const;

  SpatialPyramidPoolingOptions options;
};

TORCH_MODULE(SpatialPyramidPooling);

}  // namespace beyond::models
