#pragma once
/// Likelihood evaluation of a trained `beyond::models::Vae` on binary (or [0,1]) data, in nats.
///
/// iwae_nll is the importance-weighted bound of Burda et al. (2016):
///   -log p(x) <= -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x),
/// which tightens as k grows (k = 1 is a single-sample negative ELBO with a sampled KL). Samples
/// are drawn from the default generator and processed in chunks, so memory stays bounded for
/// large k. Both functions run under NoGradGuard and leave the module's train/eval mode alone.
///
///   torch::Tensor nll = beyond::eval::iwae_nll(*vae, x, 5000);   // [N]
///   double mean_nll = nll.mean().item<double>();
#include <torch/types.h>

#include <cstdint>

#include "beyond/models/generative/vae.h"

namespace beyond::eval {

/// Per-example importance-weighted NLL bound [N] (float64) with k samples, x: [N,...] as
/// `Vae::forward` accepts. chunk: samples per decoder batch; 0 picks one so that a chunk decodes
/// about 8192 rows.
torch::Tensor iwae_nll(models::VaeImpl& vae, const torch::Tensor& x, int64_t k, int64_t chunk = 0);

/// Per-example negative ELBO [N] (float64): one-sample BCE-with-logits + closed-form KL.
torch::Tensor negative_elbo(models::VaeImpl& vae, const torch::Tensor& x);

}  // namespace beyond::eval
