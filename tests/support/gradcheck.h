#pragma once
// A finite-difference gradient check (LibTorch's C++ API has no torch.autograd.gradcheck): the
// autograd gradient of a random projection of fn's output against central differences, in float64.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace beyond::test {

/// Largest |autograd - finite difference| over every element of every input, for the scalar
/// sum(w * fn(inputs)) with a fixed random w. Inputs must be float64 leaves; they are not modified.
inline double max_gradient_error(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& fn,
                                 std::vector<torch::Tensor> inputs, double eps = 1e-6) {
  for (auto& x : inputs) x = x.detach().clone().set_requires_grad(true);
  auto out = fn(inputs);
  torch::manual_seed(123);
  const auto w = torch::randn_like(out);
  auto grads = torch::autograd::grad({(out * w).sum()}, inputs);
  double worst = 0;
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    auto flat = inputs[k].view(-1);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double v = flat[i].item<double>();
      flat[i] = v + eps;
      const double up = (fn(inputs) * w).sum().item<double>();
      flat[i] = v - eps;
      const double down = (fn(inputs) * w).sum().item<double>();
      flat[i] = v;
      const double numeric = (up - down) / (2 * eps);
      worst = std::max(worst, std::abs(grads[k].reshape(-1)[i].item<double>() - numeric));
    }
  }
  return worst;
}

}  // namespace beyond::test
