#pragma once
/// The negative ELBO of a VAE with a Bernoulli decoder and a diagonal-Gaussian posterior:
///   -ELBO(x) = -E_q[log p(x|z)] + KL(q(z|x) || N(0,I)),
/// the first term estimated with one sample (BCE-with-logits summed over pixels), the second in
/// closed form: -0.5 * sum(1 + logvar - mu^2 - exp(logvar)). Sums run over the batch, like
/// PyTorch's examples/vae (divide by N yourself for a per-example number).
///
///   auto out = vae->forward(x);
///   beyond::losses::VaeLoss loss = beyond::losses::vae_loss(out.logits, x, out.mu, out.logvar);
///   loss.total().backward();
#include <torch/types.h>

namespace beyond::losses {

/// The two terms of the negative ELBO, each a scalar summed over the batch.
struct VaeLoss {
  torch::Tensor reconstruction;  ///< sum of BCE-with-logits over batch and pixels
  torch::Tensor kl;              ///< sum of KL(q(z|x) || N(0,I)) over the batch
  /// reconstruction + kl.
  torch::Tensor total() const;
};

/// logits and x: N examples of one element count each (e.g. [N,1,28,28] and [N,784]), x in [0,1];
/// mu, logvar: [N,L].
VaeLoss vae_loss(const torch::Tensor& logits, const torch::Tensor& x, const torch::Tensor& mu,
                 const torch::Tensor& logvar);

/// KL(N(mu, diag(exp(logvar))) || N(0,I)) per example: [N] from mu, logvar [N,L].
torch::Tensor gaussian_kl(const torch::Tensor& mu, const torch::Tensor& logvar);

/// log p(x|logits) = sum over elements of x*log(sigmoid(l)) + (1-x)*log(1-sigmoid(l)), per example:
/// [N]. logits and x as for `vae_loss`. Equal to minus the summed BCE-with-logits.
torch::Tensor bernoulli_log_likelihood(const torch::Tensor& logits, const torch::Tensor& x);

}  // namespace beyond::losses
