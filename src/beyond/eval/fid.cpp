#include "beyond/eval/fid.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::eval {

namespace {

void check_stats(const char* name, const GaussianStats& s) {
  BEYOND_CHECK(s.mean.defined() && s.cov.defined() && s.mean.dim() == 1 && s.cov.dim() == 2 &&
                   s.cov.size(0) == s.mean.size(0) && s.cov.size(1) == s.mean.size(0),
               "frechet_distance expects ", name, ".mean [D] and ", name, ".cov [D,D], got ",
               s.mean.defined() ? beyond::str(s.mean.sizes()) : std::string("undefined"), " and ",
               s.cov.defined() ? beyond::str(s.cov.sizes()) : std::string("undefined"));
}

/// Symmetric positive semi-definite square root via eigh.
torch::Tensor psd_sqrt(const torch::Tensor& c) {
  torch::Tensor w, v;
  std::tie(w, v) = torch::linalg_eigh(0.5 * (c + c.t()));
  return (v * w.clamp_min(0).sqrt().unsqueeze(0)).mm(v.t());
}

}  // namespace

GaussianStats gaussian_stats(const torch::Tensor& features) {
  BEYOND_CHECK(features.dim() == 2 && features.size(0) >= 2,
               "gaussian_stats expects features of shape [N,D] with N >= 2, got ", features.sizes());
  BEYOND_CHECK(features.is_floating_point(), "gaussian_stats expects floating point features, got ",
               features.scalar_type());
  torch::NoGradGuard no_grad;
  const torch::Tensor f = features.to(torch::kFloat64);
  GaussianStats s;
  s.mean = f.mean(0);
  const torch::Tensor centered = f - s.mean.unsqueeze(0);
  s.cov = centered.t().mm(centered) / static_cast<double>(f.size(0) - 1);
  return s;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  check_stats("a", a);
  check_stats("b", b);
  BEYOND_CHECK(a.mean.size(0) == b.mean.size(0), "frechet_distance expects statistics of one feature dimension, got ",
               a.mean.size(0), " and ", b.mean.size(0));
  torch::NoGradGuard no_grad;
  const torch::Tensor mu1 = a.mean.to(torch::kFloat64), mu2 = b.mean.to(torch::kFloat64);
  const torch::Tensor c1 = a.cov.to(torch::kFloat64), c2 = b.cov.to(torch::kFloat64);
  const torch::Tensor s1 = psd_sqrt(c1);
  const torch::Tensor m = s1.mm(c2).mm(s1);
  const torch::Tensor eig = torch::linalg_eigvalsh(0.5 * (m + m.t()));
  const double tr_sqrt = eig.clamp_min(0).sqrt().sum().item<double>();
  const double mean_term = (mu1 - mu2).pow(2).sum().item<double>();
  return mean_term + c1.trace().item<double>() + c2.trace().item<double>() - 2.0 * tr_sqrt;
}

double frechet_distance_of_features(const torch::Tensor& a, const torch::Tensor& b) {
  return frechet_distance(gaussian_stats(a), gaussian_stats(b));
}

}  // namespace beyond::eval
