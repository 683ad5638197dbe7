#include "beyond/eval/semantic_segmentation_tensor.h"

#include "beyond/core/error.h"

namespace beyond::eval {

void process(SemanticSegmentationEvaluator& evaluator, const torch::Tensor& prediction,
             const torch::Tensor& ground_truth, const std::string& where) {
  BEYOND_CHECK(prediction.sizes() == ground_truth.sizes(), "semantic segmentation", where.empty() ? "" : " (" + where + ")",
               ": prediction shape ", prediction.sizes(), " differs from ground-truth shape ", ground_truth.sizes());
  const auto integral = [](const torch::Tensor& t) {
    return t.scalar_type() == torch::kUInt8 || t.scalar_type() == torch::kInt32 || t.scalar_type() == torch::kInt64;
  };
  BEYOND_CHECK(integral(prediction) && integral(ground_truth), "semantic segmentation: label maps must be uint8, int32 or int64, got ",
               prediction.scalar_type(), " and ", ground_truth.scalar_type());
  if (prediction.scalar_type() == torch::kUInt8 && ground_truth.scalar_type() == torch::kUInt8) {
    const auto p = prediction.contiguous().cpu(), g = ground_truth.contiguous().cpu();
    evaluator.process(p.data_ptr<uint8_t>(), g.data_ptr<uint8_t>(), static_cast<size_t>(p.numel()), where);
    return;
  }
  const auto p = prediction.to(torch::kCPU, torch::kInt64).contiguous();
  const auto g = ground_truth.to(torch::kCPU, torch::kInt64).contiguous();
  evaluator.process(p.data_ptr<int64_t>(), g.data_ptr<int64_t>(), static_cast<size_t>(p.numel()), where);
}

}  // namespace beyond::eval
