#pragma once
/// Feature Pyramid Network (Lin et al. 2017) with torchvision's parameter names: a 1x1 lateral
/// convolution per input level (`inner_blocks.N.0`), a 3x3 output convolution (`layer_blocks.N.0`),
/// the top-down path by nearest upsampling to the lateral's size, and optionally the extra "pool"
/// level (max-pool with kernel 1, stride 2 of the coarsest output: torchvision's LastLevelMaxPool).
///
///   beyond::models::FeaturePyramidNetwork fpn(beyond::models::FpnOptions({256, 512, 1024, 2048}, 256));
///   beyond::models::FeatureMaps out = fpn->forward({{"0", c2}, {"1", c3}, {"2", c4}, {"3", c5}});
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "beyond/models/feature_maps.h"

namespace beyond::models {

/// Options of `FeaturePyramidNetwork`.
struct FpnOptions {
  FpnOptions(std::vector<int64_t> in_channels_list, int64_t out_channels = 256)
      : in_channels_list_(std::move(in_channels_list)), out_channels_(out_channels) {}
  /// Channels of each input level, finest first.
  TORCH_ARG(std::vector<int64_t>, in_channels_list);
  TORCH_ARG(int64_t, out_channels);
  /// Append the "pool" level (stride 2 subsampling of the coarsest output), as Faster R-CNN does.
  TORCH_ARG(bool, last_level_max_pool) = true;
};

/// See the file comment. Submodules: inner_blocks, layer_blocks (ModuleLists of Sequential(conv)).
class FeaturePyramidNetworkImpl : public torch::nn::Cloneable<FeaturePyramidNetworkImpl> {
 public:
  explicit FeaturePyramidNetworkImpl(FpnOptions options);
  void reset() override;
  /// Input levels finest first; output keeps their names (plus "pool"), each with out_channels.
  FeatureMaps forward(const FeatureMaps& x);

  FpnOptions options;

 private:
  torch::nn::ModuleList inner_blocks_{nullptr}, layer_blocks_{nullptr};
};
TORCH_MODULE(FeaturePyramidNetwork);

}  // namespace beyond::models
