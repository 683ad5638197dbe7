#pragma once
/// CRF-as-RNN (Zheng et al., "Conditional Random Fields as Recurrent Neural Networks", ICCV 2015):
/// the mean-field iterations of the fully connected CRF (crf/dense_crf.h) as a differentiable layer
/// on top of a segmentation network, so the CRF's kernel weights and label compatibility are learned
/// end to end with the network ("the CRF loss": the pixel cross-entropy of the layer's output).
///
///   beyond::models::CrfRnn crf(beyond::models::CrfRnnOptions(12).theta_alpha(40));
///   torch::Tensor scores = crf(logits, rgb);   // logits [B, L, H, W]; rgb [B, 3, H, W], 0..255
///
/// One iteration, with U the input logits (the unary scores) and S_0 = U:
///   Q   = softmax_l(S_t)                                      (per pixel)
///   M   = w_bilateral * K_bilateral Q + w_spatial * K_spatial Q   (message passing; w per label or scalar)
///   S_t+1 = U - M mu^T                                        (compatibility transform; mu init Potts)
/// and the output is S_T, unnormalised scores like the logits (so the same loss and argmax apply).
/// K_bilateral(i, j) = exp(-|p_i - p_j|^2 / 2 theta_alpha^2 - |I_i - I_j|^2 / 2 theta_beta^2) and
/// K_spatial(i, j) = exp(-|p_i - p_j|^2 / 2 theta_gamma^2), symmetrically normalised as densecrf's
/// default (D^-1/2 K D^-1/2 with D = diag(K 1)), so their transpose is the same operator. mu is
/// initialised to Potts, mu(l, l') = [l != l'] (the penalty for giving neighbours different labels).
/// The bandwidths are fixed; the weights and mu are parameters.
///
/// Message passing runs on permutohedral lattices (crf/permutohedral_lattice.h) through a custom
/// autograd Function: forward = the lattice filter, backward = the same lattice filtered in reverse
/// (its exact transpose). The bilateral lattice depends only on the image, so each forward builds it
/// once per image and every iteration and the backward reuse it (with its workspaces: the iterations
/// allocate nothing inside the lattice). Softmax, weights and compatibility are ATen ops, so autograd
/// differentiates them. `filtering(CrfRnnFiltering::Exact)` replaces the lattice with exact dense
/// Gaussian filtering in ATen (O(N^2) memory: tiny images only): a reference, and the float64 path
/// the gradient check uses.
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

enum class CrfRnnFiltering { Lattice, Exact };

struct CrfRnnOptions {
  explicit CrfRnnOptions(int64_t num_labels) : num_labels_(num_labels) {}
  TORCH_ARG(int64_t, num_labels);
  /// Mean-field iterations in training mode (CRF-RNN trains with 5) ...
  TORCH_ARG(int, iterations) = 5;
  /// ... and in eval mode (10, as at test time in the paper).
  TORCH_ARG(int, eval_iterations) = 10;
  /// Bilateral kernel: standard deviation of positions (pixels) and of colours (0-255 RGB).
  TORCH_ARG(double, theta_alpha) = 80;
  TORCH_ARG(double, theta_beta) = 13;
  /// Spatial kernel: standard deviation of positions (pixels).
  TORCH_ARG(double, theta_gamma) = 3;
  /// Initial kernel weights w_bilateral and w_spatial (learned).
  TORCH_ARG(double, bilateral_weight) = 5;
  TORCH_ARG(double, spatial_weight) = 3;
  /// One weight per label and kernel (true) or one scalar per kernel.
  TORCH_ARG(bool, per_label_weights) = true;
  /// false: mu stays Potts (no gradient).
  TORCH_ARG(bool, learn_compatibility) = true;
  TORCH_ARG(CrfRnnFiltering, filtering) = CrfRnnFiltering::Lattice;
};

/// See the file comment. Parameters: bilateral_weight, spatial_weight ([L] or [1]), compatibility [L, L].
class CrfRnnImpl : public torch::nn::Cloneable<CrfRnnImpl> {
 public:
  explicit CrfRnnImpl(CrfRnnOptions options);
  void reset() override;
  /// Refined scores [B, L, H, W] (dtype of `logits`) of `logits` [B, L, H, W] on RGB `images`
  /// [B, 3, H, W] with values 0..255 (any real dtype; no gradient flows to them). Runs
  /// options.iterations steps in training mode, options.eval_iterations in eval mode (0: the logits).
  torch::Tensor forward(const torch::Tensor& logits, const torch::Tensor& images);
  /// The same with an explicit number of iterations.
  torch::Tensor forward(const torch::Tensor& logits, const torch::Tensor& images, int iterations);

  CrfRnnOptions options;
  torch::Tensor bilateral_weight, spatial_weight, compatibility;
};
TORCH_MODULE(CrfRnn);

/// The message-passing filter alone, for tests: out = D^-1/2 K D^-1/2 q on the lattice of `features`
/// (float32 [B, N, d], already divided by the bandwidths) for q float32 [B, N, V], differentiable in q
/// through the custom autograd Function (backward: the reversed lattice filter). `transpose` applies
/// the transposed operator (the reversed blur) in the forward.
torch::Tensor lattice_gaussian_filter(const torch::Tensor& q, const torch::Tensor& features, bool transpose = false);

/// Bilateral features (x / theta_xy, y / theta_xy, r / theta_rgb, g / theta_rgb, b / theta_rgb) of
/// `images` [B, 3, H, W] as [B, H * W, 5], or spatial ones (x, y) / theta_xy as [1, H * W, 2] when
/// theta_rgb <= 0 (then only the size of `images` is used). float32 unless `dtype` says otherwise.
torch::Tensor crf_features(const torch::Tensor& images, double theta_xy, double theta_rgb,
                           torch::Dtype dtype = torch::kFloat32);

}  // namespace beyond::models
