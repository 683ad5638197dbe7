#pragma once
/// The RPN's sliding-window head, with torchvision's parameter names and initialisation so that its
/// weights load unchanged ("conv.0.0.weight", "cls_logits.weight", "bbox_pred.weight", ...):
/// conv_depth x (3x3 conv + ReLU), then per position A objectness logits (1x1 conv) and 4A box deltas
/// (1x1 conv), every conv initialised N(0, 0.01) with zero bias. The same head runs on every level.
///
///   beyond::models::RPNHead head(256, 3);
///   auto [logits, deltas] = head->forward(features);   // per level [N, A, H, W] and [N, 4A, H, W]
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <utility>
#include <vector>

namespace beyond::models {

class RPNHeadImpl : public torch::nn::Cloneable<RPNHeadImpl> {
 public:
  RPNHeadImpl(int64_t in_channels, int64_t num_anchors, int64_t conv_depth = 1);
  void reset() override;

  /// Per level: objectness logits [N, A, H, W] and box deltas [N, 4A, H, W].
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> forward(const std::vector<torch::Tensor>& features);

  int64_t in_channels() const { return in_channels_; }
  int64_t num_anchors() const { return num_anchors_; }

 private:
  int64_t in_channels_, num_anchors_, conv_depth_;
  torch::nn::Sequential conv_{nullptr};
  torch::nn::Conv2d cls_logits_{nullptr}, bbox_pred_{nullptr};
};

TORCH_MODULE(RPNHead);

}  // namespace beyond::models
