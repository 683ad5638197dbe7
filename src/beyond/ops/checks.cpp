#include "beyond/ops/checks.h"

#include <c10/util/Exception.h>

namespace beyond::ops::detail {

void check_float_cpu(const at::Tensor& t, const char* op, const char* name, int64_t dim) {
  TORCH_CHECK(t.defined(), op, ": ", name, " is undefined");
  TORCH_CHECK(t.device().is_cpu(), op, ": ", name, " must be a CPU tensor, got one on ", t.device(),
              " (only the CPU backend is built)");
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, op, ": ", name,
              " must be float32 or float64, got ", t.scalar_type());
  TORCH_CHECK(t.dim() == dim, op, ": ", name, " must have ", dim, " dimensions, got shape ", t.sizes());
}

void check_rois(const at::Tensor& rois, const at::Tensor& input, const char* op) {
  TORCH_CHECK(rois.defined() && rois.dim() == 2 && rois.size(1) == 5, op,
              ": rois must be a [K, 5] tensor (batch index, x1, y1, x2, y2), got ",
              rois.defined() ? rois.sizes() : at::IntArrayRef{});
  TORCH_CHECK(rois.device().is_cpu(), op, ": rois must be a CPU tensor, got one on ", rois.device());
  TORCH_CHECK(rois.scalar_type() == input.scalar_type(), op, ": rois must have the dtype of input (",
              input.scalar_type(), "), got ", rois.scalar_type());
  if (rois.size(0) == 0) return;
  TORCH_CHECK(at::isfinite(rois).all().item<bool>(), op, ": rois must be finite; row ",
              at::logical_not(at::isfinite(rois)).any(1).nonzero()[0][0].item<int64_t>(), " holds NaN or infinity");
  const auto batch = rois.select(1, 0);
  const double lo = batch.min().item<double>(), hi = batch.max().item<double>();
  TORCH_CHECK(lo >= 0 && hi < static_cast<double>(input.size(0)), op, ": rois[:, 0] holds batch indices in [",
              lo, ", ", hi, "] but input has a batch of ", input.size(0));
  TORCH_CHECK((batch == batch.round()).all().item<bool>(), op, ": rois[:, 0] must hold whole batch indices");
}

void check_boxes(const at::Tensor& boxes, const char* op, const char* name) {
  TORCH_CHECK(boxes.defined() && boxes.dim() == 2 && boxes.size(1) == 4, op, ": ", name,
              " must be a [N, 4] tensor (x1, y1, x2, y2), got ", boxes.defined() ? boxes.sizes() : at::IntArrayRef{});
  check_float_cpu(boxes, op, name, 2);
}

void check_pooled_size(int64_t pooled_height, int64_t pooled_width, const char* op) {
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0, op, ": pooled_height and pooled_width must be positive, got ",
              pooled_height, " and ", pooled_width);
}

}  // namespace beyond::ops::detail
