#include "beyond/structures/tensor_checks.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::detail {

std::string describe(const torch::Tensor& t) {
  return t.defined() ? beyond::str(t.scalar_type(), " ", t.sizes()) : std::string("undefined");
}

torch::Tensor as_row_index(const torch::Tensor& index, int64_t n, const char* what) {
  BEYOND_CHECK(index.defined(), what, ": the index tensor is undefined");
  if (index.scalar_type() == torch::kBool) {
    BEYOND_CHECK(index.dim() == 1 && index.size(0) == n, what, ": a bool index must have shape [", n,
                 "] (one flag per element), got ", index.sizes());
    return index.nonzero().view({-1});
  }
  BEYOND_CHECK(!index.is_floating_point() && index.dim() <= 1, what,
               ": index with an integer tensor [M] or a bool tensor [N], got ", describe(index));
  torch::Tensor idx = index.to(torch::kInt64).reshape({-1});
  if (idx.numel() > 0) {
    const int64_t lo = idx.min().item<int64_t>(), hi = idx.max().item<int64_t>();
    BEYOND_CHECK(lo >= 0 && hi < n, what, ": index out of range [0, ", n, "): got values in [", lo, ", ", hi, "]");
  }
  return idx;
}

}  // namespace beyond::detail
