#pragma once
/// Feeding the semantic segmentation evaluator from LibTorch label maps.
#include <torch/types.h>

#include "beyond/eval/semantic_segmentation.h"

namespace beyond::eval {

/// Adds label maps of equal shape ([H, W] or [N, H, W]; uint8, int32 or int64, any device) to the
/// confusion matrix. Predictions given as scores [N, C, H, W] must be argmax'ed first.
void process(SemanticSegmentationEvaluator& evaluator, const torch::Tensor& prediction,
             const torch::Tensor& ground_truth, const std::string& where = "");

}  // namespace beyond::eval
