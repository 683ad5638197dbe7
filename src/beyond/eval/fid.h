#pragma once
/// Fréchet distance between Gaussians fitted to feature sets (FID, Heusel et al., 2017):
///   d^2 = |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^{1/2}).
/// The trace of the matrix square root is computed stably from symmetric eigendecompositions:
/// tr (C1 C2)^{1/2} = sum_i sqrt(lambda_i(C1^{1/2} C2 C1^{1/2})), tiny negative eigenvalues clamped
/// to 0. Everything runs in float64. With beyond, features come from
/// `beyond::models::SmallCnn::features` (a Fashion-MNIST classifier), not Inception, so the numbers
/// compare runs of this project with each other, not with published Inception-FIDs.
///
///   auto real = beyond::eval::gaussian_stats(net->features(real_images));   // [N,D] -> stats
///   auto fake = beyond::eval::gaussian_stats(net->features(fake_images));
///   double fid = beyond::eval::frechet_distance(real, fake);
#include <torch/types.h>

namespace beyond::eval {

/// Mean [D] and covariance [D,D] of a feature set, float64.
struct GaussianStats {
  torch::Tensor mean;
  torch::Tensor cov;
};

/// Sample mean and unbiased (N-1) covariance of features [N,D], N >= 2.
GaussianStats gaussian_stats(const torch::Tensor& features);

/// The Fréchet distance between N(a.mean, a.cov) and N(b.mean, b.cov); dimensions must match.
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

/// frechet_distance(gaussian_stats(a), gaussian_stats(b)) for features [Na,D] and [Nb,D].
double frechet_distance_of_features(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace beyond::eval
