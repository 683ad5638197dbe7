#include "beyond/losses/vae_loss.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::losses {

namespace {

void check_logits_and_x(const char* fn, const torch::Tensor& logits, const torch::Tensor& x) {
  BEYOND_CHECK(logits.dim() >= 1 && x.dim() >= 1 && logits.size(0) == x.size(0) && logits.numel() == x.numel(),
               fn, " expects logits and x with the same batch size and element count, got logits ",
               logits.sizes(), " and x ", x.sizes());
  BEYOND_CHECK(logits.is_floating_point() && x.is_floating_point(), fn,
               " expects floating point logits and x, got ", logits.scalar_type(), " and ", x.scalar_type());
}

void check_gaussian(const char* fn, const torch::Tensor& mu, const torch::Tensor& logvar) {
  BEYOND_CHECK(mu.dim() == 2 && mu.sizes() == logvar.sizes(), fn,
               " expects mu and logvar of one shape [N,L], got mu ", mu.sizes(), " and logvar ", logvar.sizes());
}

}  // namespace

torch::Tensor VaeLoss::total() const { return reconstruction + kl; }

torch::Tensor gaussian_kl(const torch::Tensor& mu, const torch::Tensor& logvar) {
  check_gaussian("gaussian_kl", mu, logvar);
  return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1);
}

torch::Tensor bernoulli_log_likelihood(const torch::Tensor& logits, const torch::Tensor& x) {
  check_logits_and_x("bernoulli_log_likelihood", logits, x);
  const int64_t n = logits.size(0);
  const torch::Tensor l = logits.reshape({n, -1});
  // x*log(sigmoid(l)) + (1-x)*log(sigmoid(-l)) = x*l - softplus(l), stable for any l.
  return (x.reshape({n, -1}).to(l.scalar_type()) * l - torch::softplus(l)).sum(1);
}

VaeLoss vae_loss(const torch::Tensor& logits, const torch::Tensor& x, const torch::Tensor& mu,
                 const torch::Tensor& logvar) {
  check_logits_and_x("vae_loss", logits, x);
  check_gaussian("vae_loss", mu, logvar);
  BEYOND_CHECK(mu.size(0) == logits.size(0), "vae_loss expects mu with one row per example (", logits.size(0),
               "), got mu ", mu.sizes());
  VaeLoss loss;
  loss.reconstruction = torch::binary_cross_entropy_with_logits(logits.reshape(x.sizes()), x, {}, {},
                                                                at::Reduction::Sum);
  loss.kl = gaussian_kl(mu, logvar).sum();
  return loss;
}

}  // namespace beyond::losses
