#pragma once
/// Input corruption for denoising autoencoders (Vincent et al., 2008/2010).
///
/// Gaussian noise: x + N(0, gaussian_std^2), clamped back to [0,1]. Masking noise: each element set
/// to 0 independently with probability mask_prob. When both are on, Gaussian noise comes first.
/// Draws come from LibTorch's default generator, so `torch::manual_seed` reproduces them.
///
///   auto noisy = beyond::models::corrupt(x, beyond::models::NoiseOptions().gaussian_std(0.3));
///   auto loss = torch::binary_cross_entropy_with_logits(ae->forward(noisy), x);  // clean target
#include <torch/arg.h>
#include <torch/types.h>

namespace beyond::models {

/// Options of `corrupt`; both default to 0 (no corruption).
struct NoiseOptions {
  /// Standard deviation of additive Gaussian noise (>= 0).
  TORCH_ARG(double, gaussian_std) = 0.0;
  /// Probability that an element is zeroed (in [0,1]).
  TORCH_ARG(double, mask_prob) = 0.0;
};

/// Returns a corrupted copy of floating-point `x` (any shape; values expected in [0,1]).
/// Not differentiable through the noise draw; `x` itself is never modified.
torch::Tensor corrupt(const torch::Tensor& x, const NoiseOptions& options);

}  // namespace beyond::models
