#pragma once
/// The two-layer MLP box head of Faster R-CNN with FPN (torchvision's TwoMLPHead): every pooled RoI
/// feature [K, C, 7, 7] is flattened and passed through fc6 -> ReLU -> fc7 -> ReLU, giving one
/// representation vector per RoI for the predictor. Parameter names are torchvision's (`fc6`, `fc7`),
/// so `roi_heads.box_head.*` of a torchvision state_dict loads as is.
///
///   beyond::models::TwoMLPHead head(beyond::models::TwoMLPHeadOptions(256 * 7 * 7, 1024));
///   torch::Tensor x = head->forward(pooled);   // [K, 1024]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

struct TwoMLPHeadOptions {
  TwoMLPHeadOptions(int64_t in_features = 256 * 7 * 7, int64_t representation_size = 1024)
      : in_features_(in_features), representation_size_(representation_size) {}
  /// Flattened size of one pooled RoI feature (channels x output height x output width).
  TORCH_ARG(int64_t, in_features);
  /// Width of fc6 and fc7 (1024 in torchvision's Faster R-CNN).
  TORCH_ARG(int64_t, representation_size);
};

class TwoMLPHeadImpl : public torch::nn::Cloneable<TwoMLPHeadImpl> {
 public:
  explicit TwoMLPHeadImpl(TwoMLPHeadOptions options = {});
  void reset() override;
  /// x: [K, ...] with in_features values per RoI; returns [K, representation_size].
  torch::Tensor forward(const torch::Tensor& x);

  TwoMLPHeadOptions options;

 private:
  torch::nn::Linear fc6_{nullptr}, fc7_{nullptr};
};

TORCH_MODULE(TwoMLPHead);

}  // namespace beyond::models
