#pragma once
/// Pixel-wise cross-entropy for semantic segmentation (FCN's loss): the softmax cross-entropy of every
/// pixel's logits against its label, averaged over the pixels that count. Pixels labelled
/// `ignore_label` (255: borders, padding, unlabelled) contribute nothing, neither to the sum nor to
/// the count. With class weights w, a pixel of class c counts w_c times in both (PyTorch's weighted
/// mean, so the loss stays on the scale of an unweighted one). A batch without any counted pixel gives
/// a zero loss that still backpropagates (zeros), rather than PyTorch's NaN.
///
///   auto loss = beyond::losses::pixel_cross_entropy(logits, labels);                  // [N,C,H,W], [N,H,W]
///   auto weighted = beyond::losses::pixel_cross_entropy(logits, labels,
///       beyond::losses::PixelCrossEntropyOptions().class_weights(torch::tensor({0.2, 1.0, 1.0})));
#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::losses {

struct PixelCrossEntropyOptions {
  /// Label of pixels to leave out.
  TORCH_ARG(int64_t, ignore_label) = 255;
  /// Optional [C] non-negative weight per class; undefined = all 1.
  TORCH_ARG(torch::Tensor, class_weights) = {};
};

/// logits [N, C, H, W] (floating point), labels [N, H, W] (integer, values in [0, C) or ignore_label;
/// anything else is a beyond::Error that names the value and where it is). Returns a scalar.
torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const PixelCrossEntropyOptions& options = {});

}  // namespace beyond::losses
