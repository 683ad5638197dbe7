#pragma once
// Small helpers shared by the unit tests.
#include <torch/torch.h>

#include <string>

#include "beyond/core/error.h"
#include "support/error_of.h"

namespace beyond::test {

/// The message (without backtrace) of the c10::Error that `fn` throws, or "" if it throws none: what
/// an op's TORCH_CHECK says.
template <typename F>
std::string torch_error_of(F&& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

/// `n` 28x28 images of one Gaussian blob each (random centre and width), values in (0, 1]:
/// structured enough that a generative model can learn it in a few steps. [n, 1, 28, 28].
inline torch::Tensor blob_images(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const auto grid = torch::arange(28, torch::kFloat32);
  const auto cy = torch::rand({n, 1, 1}) * 16 + 6, cx = torch::rand({n, 1, 1}) * 16 + 6;
  const auto sigma = torch::rand({n, 1, 1}) * 3 + 2;
  const auto d2 = (grid.view({1, 28, 1}) - cy).pow(2) + (grid.view({1, 1, 28}) - cx).pow(2);
  return torch::exp(-d2 / (2 * sigma.pow(2))).unsqueeze(1);
}

}  // namespace beyond::test
