#pragma once
/// The last layers of the Fast R-CNN head (torchvision's FastRCNNPredictor): from each RoI's
/// representation, `cls_score` gives num_classes logits (class 0 is background) and `bbox_pred` gives
/// class-specific box deltas, 4 per class, in the box coder's (dx, dy, dw, dh) parametrisation.
///
///   beyond::models::FastRCNNPredictor predictor(beyond::models::FastRCNNPredictorOptions(1024, 91));
///   auto [logits, deltas] = predictor->forward(x);   // [K, 91], [K, 364]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <utility>

namespace beyond::models {

struct FastRCNNPredictorOptions {
  FastRCNNPredictorOptions(int64_t in_channels = 1024, int64_t num_classes = 91)
      : in_channels_(in_channels), num_classes_(num_classes) {}
  /// Size of the box head's representation.
  TORCH_ARG(int64_t, in_channels);
  /// Object classes + 1 for the background (class 0); COCO in torchvision: 91.
  TORCH_ARG(int64_t, num_classes);
};

class FastRCNNPredictorImpl : public torch::nn::Cloneable<FastRCNNPredictorImpl> {
 public:
  explicit FastRCNNPredictorImpl(FastRCNNPredictorOptions options = {});
  void reset() override;
  /// x: [K, in_channels] (or [K, in_channels, 1, 1]); returns class logits [K, num_classes] and box
  /// deltas [K, 4 * num_classes].
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);

  FastRCNNPredictorOptions options;

 private:
  torch::nn::Linear cls_score_{nullptr}, bbox_pred_{nullptr};
};

TORCH_MODULE(FastRCNNPredictor);

}  // namespace beyond::models
