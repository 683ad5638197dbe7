#pragma once
/// Small checks shared by the structures and the transforms, so their error messages read alike.
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace beyond::detail {

/// "Float [2, 3]", or "undefined": how a tensor is named in an error message.
std::string describe(const torch::Tensor& t);

/// Checks that `index` can select rows of something of length `n` (an integer tensor [M] with values
/// in [0, n), or a bool tensor [n]) and returns it as int64 [M]; `what` names the caller in errors.
torch::Tensor as_row_index(const torch::Tensor& index, int64_t n, const char* what);

}  // namespace beyond::detail
