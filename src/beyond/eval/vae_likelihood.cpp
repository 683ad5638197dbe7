#include "beyond/eval/vae_likelihood.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "beyond/core/error.h"
#include "beyond/losses/vae_loss.h"

namespace beyond::eval {

torch::Tensor iwae_nll(models::VaeImpl& vae, const torch::Tensor& x, int64_t k, int64_t chunk) {
  BEYOND_CHECK(k >= 1, "iwae_nll expects k >= 1 importance samples, got ", k);
  BEYOND_CHECK(chunk >= 0, "iwae_nll expects chunk >= 0 (0 = automatic), got ", chunk);
  torch::NoGradGuard no_grad;
  torch::Tensor mu, logvar;
  std::tie(mu, logvar) = vae.encode(x);  // validates x
  const int64_t n = mu.size(0);
  const int64_t latent = mu.size(1);
  if (n == 0) return torch::zeros({0}, torch::kFloat64);
  if (chunk == 0) chunk = std::max<int64_t>(1, 8192 / n);
  const torch::Tensor std = torch::exp(0.5 * logvar);
  constexpr double log_2pi = 1.8378770664093454836;  // log(2 pi)
  // log q(z|x) and log p(z) do not depend on the decoder; their constants cancel but keep them exact.
  const torch::Tensor log_q_const = -0.5 * (logvar + log_2pi).sum(1);  // [N]
  torch::Tensor acc = torch::full({n}, -std::numeric_limits<double>::infinity(), torch::kFloat64);
  for (int64_t done = 0; done < k; done += chunk) {
    const int64_t s = std::min(chunk, k - done);
    const torch::Tensor eps = torch::randn({s, n, latent}, mu.options());
    const torch::Tensor z = mu.unsqueeze(0) + eps * std.unsqueeze(0);                      // [s,N,L]
    const torch::Tensor log_q = log_q_const.unsqueeze(0) - 0.5 * eps.pow(2).sum(2);         // [s,N]
    const torch::Tensor log_p_z = -0.5 * (z.pow(2) + log_2pi).sum(2);                        // [s,N]
    const torch::Tensor logits = vae.decode(z.reshape({s * n, latent}));
    const torch::Tensor targets = x.reshape({1, n, -1}).expand({s, n, x.numel() / n}).reshape({s * n, -1});
    const torch::Tensor log_px_z = losses::bernoulli_log_likelihood(logits, targets).view({s, n});
    const torch::Tensor log_w = (log_px_z + log_p_z - log_q).to(torch::kFloat64);
    acc = torch::logaddexp(acc, torch::logsumexp(log_w, 0));
  }
  return -(acc - std::log(static_cast<double>(k)));
}

torch::Tensor negative_elbo(models::VaeImpl& vae, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const models::VaeOutput out = vae.forward(x);
  return (losses::gaussian_kl(out.mu, out.logvar) - losses::bernoulli_log_likelihood(out.logits, x))
      .to(torch::kFloat64);
}

}  // namespace beyond::eval
