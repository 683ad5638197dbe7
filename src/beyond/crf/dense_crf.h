#pragma once
/// The fully connected CRF of Krähenbühl and Koltun ("Efficient Inference in Fully Connected CRFs
/// with Gaussian Edge Potentials", NIPS 2011) with mean-field inference on permutohedral lattices.
/// The model's knobs have the names of densecrf / pydensecrf (DenseCRF2D), so its users can move
/// over unchanged:
///
///   beyond::crf::DenseCRF crf(width, height, labels);
///   crf.set_unary_energy(unary);                         // -log p, [L, H, W] float32
///   crf.add_pairwise_gaussian(3, 3);                     // sxy, compat (Potts 3)
///   crf.add_pairwise_bilateral(80, 13, rgb, 10);         // sxy, srgb, HxWx3 RGB8, compat (Potts 10)
///   std::vector<float> q = crf.inference(10);            // marginals, [L, H, W]
///   std::vector<int32_t> labels = beyond::crf::map_labels(q, labels, width * height);
///
/// Mean-field (densecrf's inference): Q0 = softmax(-U); then, each iteration,
///   Q <- softmax(-U - sum_k compat_k(K_k Q)),
/// with K_k the normalised Gaussian kernel of pairwise term k evaluated on its lattice (the point
/// itself included, as in densecrf) and compat_k(.) densecrf's label compatibility: Potts(w) is
/// -w * identity (equal labels attract), diagonal(w) is diag(w), matrix(M) is (M + M^T) / 2.
///
/// Plain C++ with OpenMP (no LibTorch). One mean-field step is one pass over the pixels -- slice
/// both kernels, add the unary, softmax, splat the new Q into both lattices -- followed by the
/// lattices' blurs; Q and the messages are never stored as images. Threads split the pixels and
/// the lattice vertices into contiguous blocks inside one parallel region per inference() call; the
/// iterations allocate nothing (buffers are made once per call).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "beyond/crf/permutohedral_lattice.h"

namespace beyond::crf {

/// densecrf's kernel types. With the kernel parameters at their initial values (ones, identity),
/// which is all this engine does, the three give the same inference; they differ only when the
/// kernel's feature scaling is learned (densecrf's setKernelParameters), which is not offered here.
enum KernelType { CONST_KERNEL = 0, DIAG_KERNEL = 1, FULL_KERNEL = 2 };

/// densecrf's normalisations of a kernel, with n = K 1 (the filter of ones, per pixel):
/// NO_NORMALIZATION filters as is; NORMALIZE_BEFORE divides the input by n, NORMALIZE_AFTER the
/// output; NORMALIZE_SYMMETRIC (the default) divides both by sqrt(n), which keeps K symmetric.
enum NormalizationType { NO_NORMALIZATION = 0, NORMALIZE_BEFORE = 1, NORMALIZE_AFTER = 2, NORMALIZE_SYMMETRIC = 3 };

/// Label compatibility mu(l, l') of a pairwise term, as densecrf defines them. Implicit from a
/// number, like pydensecrf's `compat=3` (Potts).
class Compatibility {
 public:
  enum class Kind { Potts, Diagonal, Matrix };
  /// Potts(w): mu = -w * identity (densecrf's PottsCompatibility).
  Compatibility(float potts_weight) : kind_(Kind::Potts), weight_(potts_weight) {}  // NOLINT: implicit on purpose
  static Compatibility potts(float w) { return Compatibility(w); }
  /// mu = diag(w), one entry per label (densecrf's DiagonalCompatibility).
  static Compatibility diagonal(std::vector<float> w);
  /// A full L x L matrix, row-major; symmetrised to (M + M^T) / 2 (densecrf's MatrixCompatibility).
  static Compatibility matrix(std::vector<float> m, int64_t labels);

  Kind kind() const { return kind_; }
  float potts_weight() const { return weight_; }
  /// Diagonal: the L weights; Matrix: the symmetrised L x L matrix.
  const std::vector<float>& values() const { return values_; }
  /// mu(a, b) for `labels` labels.
  float operator()(int64_t a, int64_t b, int64_t labels) const;

 private:
  Compatibility(Kind kind, std::vector<float> values) : kind_(kind), values_(std::move(values)) {}
  Kind kind_;
  float weight_ = 0;
  std::vector<float> values_;
};

/// The model in one place: the CLI's flags and a named preset.
/// The default is the model of the shared densecrf fixture (and of pydensecrf's README): a
/// Gaussian smoothness kernel (sxy 3, Potts 3) and a bilateral appearance kernel (sxy 80, srgb 13,
/// Potts 10), 10 mean-field iterations, DIAG_KERNEL, NORMALIZE_SYMMETRIC. In the notation
/// k(i,j) = w1 exp(-|p_i-p_j|^2/2θα^2 - |I_i-I_j|^2/2θβ^2) + w2 exp(-|p_i-p_j|^2/2θγ^2):
/// w1 = bilateral_compat, θα = bilateral_sxy, θβ = bilateral_srgb, w2 = gaussian_compat, θγ = gaussian_sxy.
struct Options {
  int iterations_ = 10;
  float gaussian_sxy_ = 3, gaussian_compat_ = 3;
  float bilateral_sxy_ = 80, bilateral_srgb_ = 13, bilateral_compat_ = 10;

  Options& iterations(int v) { iterations_ = v; return *this; }
  Options& gaussian_sxy(float v) { gaussian_sxy_ = v; return *this; }
  Options& gaussian_compat(float v) { gaussian_compat_ = v; return *this; }
  Options& bilateral_sxy(float v) { bilateral_sxy_ = v; return *this; }
  Options& bilateral_srgb(float v) { bilateral_srgb_ = v; return *this; }
  Options& bilateral_compat(float v) { bilateral_compat_ = v; return *this; }

  /// DeepLab v2 (ResNet-101, Pascal VOC 2012) post-processing: w1 = 4, θα = 67, θβ = 3, w2 = 3,
  /// θγ = 1, 10 iterations (the values its released test configuration uses, found by
  /// cross-validation on VOC val; inputs are at most 513 x 513).
  static Options deeplab_v2() {
    return Options().bilateral_compat(4).bilateral_sxy(67).bilateral_srgb(3).gaussian_compat(3).gaussian_sxy(1).iterations(10);
  }
};

/// A dense CRF over a width x height image with `labels` labels (densecrf's DenseCRF2D(W, H, M)).
class DenseCRF {
 public:
  DenseCRF(int64_t width, int64_t height, int64_t labels);

  /// The unary energy -log p, [labels, height, width] float32 (pydensecrf's setUnaryEnergy takes
  /// the same array flattened to [labels, height * width]). Values must be finite.
  void set_unary_energy(const float* unary);
  void set_unary_energy(const std::vector<float>& unary);
  /// The unary from network logits, [labels, height, width]: U = -log_softmax(logits) per pixel.
  void set_unary_from_logits(const std::vector<float>& logits);
  /// The unary from probabilities, [labels, height, width]: U = -log(max(p, clip)), as
  /// pydensecrf's unary_from_softmax (its default clip is 1e-5).
  void set_unary_from_probabilities(const std::vector<float>& probabilities, float clip = 1e-5f);

  /// Smoothness kernel on positions, exp(-|p_i - p_j|^2 / 2 sxy^2) (pydensecrf's addPairwiseGaussian).
  void add_pairwise_gaussian(float sxy, const Compatibility& compat, KernelType kernel = DIAG_KERNEL,
                             NormalizationType normalization = NORMALIZE_SYMMETRIC);
  /// Appearance kernel exp(-|p_i - p_j|^2 / 2 sxy^2 - |I_i - I_j|^2 / 2 srgb^2) on an RGB8 image,
  /// interleaved [height, width, 3] (pydensecrf's addPairwiseBilateral).
  void add_pairwise_bilateral(float sxy, float srgb, const uint8_t* rgb, const Compatibility& compat,
                              KernelType kernel = DIAG_KERNEL, NormalizationType normalization = NORMALIZE_SYMMETRIC);
  /// Any Gaussian kernel exp(-|f_i - f_j|^2 / 2): features [height * width, dim], row-major, already
  /// divided by their standard deviations (pydensecrf's addPairwiseEnergy, transposed).
  void add_pairwise_energy(const std::vector<float>& features, int dim, const Compatibility& compat,
                           KernelType kernel = DIAG_KERNEL, NormalizationType normalization = NORMALIZE_SYMMETRIC);

  /// Runs `iterations` mean-field steps from Q0 = softmax(-U) and returns Q, [labels, height, width].
  /// If `free_energy` is given it receives F(Q_t) for t = 0..iterations: the mean-field free energy
  /// sum_i sum_l Q(U + log Q) + 1/2 sum_ij sum_ll' Q_il mu(l,l') K_ij Q_jl' (KL(Q || P) up to log Z),
  /// which parallel mean-field lowers when the compatibilities are Potts and the kernels positive
  /// definite (Krähenbühl & Koltun, ICML 2013).
  std::vector<float> inference(int iterations, std::vector<double>* free_energy = nullptr);
  /// The labelling that maximises Q per pixel after `iterations` steps, [height, width].
  std::vector<int32_t> map(int iterations);

  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  int64_t labels() const { return labels_; }
  /// Bytes held by the model (unary, lattices, normalisations and lattice workspaces).
  size_t memory_bytes() const;

 private:
  struct Pairwise {
    PermutohedralLattice lattice;
    std::vector<float> norm;  // per pixel: 1/n, 1/sqrt(n) or unused, by `normalization`
    Compatibility compat;
    KernelType kernel;
    NormalizationType normalization;
  };
  int64_t width_, height_, labels_;
  int64_t stride_;                // labels padded to whole vectors (see padded_labels in the .cpp)
  std::vector<float> neg_unary_;  // -U, [N, stride], pixel-major: labels of a pixel are contiguous
  std::vector<Pairwise> pairwise_;
};

/// Argmax over labels of Q ([labels, n] planar), per point (ties to the lower label).
std::vector<int32_t> map_labels(const std::vector<float>& q, int64_t labels, int64_t n);

/// The CRF of `options` on one image: unary [labels, height, width], rgb [height, width, 3].
/// Returns Q, [labels, height, width].
std::vector<float> dense_crf(const std::vector<float>& unary, const uint8_t* rgb, int64_t width, int64_t height,
                             int64_t labels, const Options& options = Options());

}  // namespace beyond::crf
