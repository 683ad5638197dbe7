#include "beyond/models/segmentation/crf_rnn.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "beyond/core/error.h"
#include "beyond/crf/permutohedral_lattice.h"

namespace beyond::models {
namespace {

/// The lattices of one batch (one per image, or one shared by all images when the features are the
/// same for each, as the spatial kernel's are) with their symmetric normalisation 1/sqrt(K 1). Held by
/// an intrusive pointer so the autograd graph keeps it alive until the backward has run.
class LatticeBatch : public torch::CustomClassHolder {
 public:
  /// `features`: float32 [B, N, d].
  explicit LatticeBatch(const torch::Tensor& features) {
    BEYOND_CHECK(features.dim() == 3 && features.scalar_type() == torch::kFloat32,
                 "CRF-RNN: lattice features must be float32 [B, N, d], got ", features.sizes(), " ", features.dtype());
    const auto f = features.contiguous();
    n_ = f.size(1);
    const int dim = static_cast<int>(f.size(2));
    lattices_.resize(static_cast<size_t>(f.size(0)));
    norms_.resize(lattices_.size());
    for (size_t b = 0; b < lattices_.size(); ++b) {
      lattices_[b].build(f.data_ptr<float>() + static_cast<int64_t>(b) * n_ * dim, n_, dim);
      auto& norm = norms_[b];
      norm.assign(static_cast<size_t>(n_), 1.0f);
      lattices_[b].filter(norm.data(), norm.data(), 1);
      for (float& v : norm) v = 1.0f / std::sqrt(v + 1e-20f);  // densecrf's NORMALIZE_SYMMETRIC
    }
  }

  /// D^-1/2 K D^-1/2 q per image for q float32 [B, N, V]; `transpose` runs the reversed blur (K^T).
  torch::Tensor apply(const torch::Tensor& q, bool transpose) {
    const int64_t batch = static_cast<int64_t>(lattices_.size());
    BEYOND_CHECK(q.dim() == 3 && q.size(1) == n_ && (q.size(0) == batch || batch == 1) &&
                     q.scalar_type() == torch::kFloat32,
                 "CRF-RNN: lattice filter expects float32 [", batch, ", ", n_, ", V] values, got ", q.sizes(), " ",
                 q.dtype());
    const auto in = q.contiguous();
    auto out = torch::empty_like(in);
    const int64_t values = in.size(2), stride = n_ * values;
    for (int64_t b = 0; b < in.size(0); ++b) {
      const size_t which = batch == 1 ? 0 : static_cast<size_t>(b);
      crf::PermutohedralLattice::FilterOptions o;
      o.in_scale = o.out_scale = norms_[which].data();  // symmetric: the same scales either way
      o.reverse = transpose;
      lattices_[which].filter(in.data_ptr<float>() + b * stride, out.data_ptr<float>() + b * stride, values, o);
    }
    return out;
  }

 private:
  int64_t n_ = 0;
  std::vector<crf::PermutohedralLattice> lattices_;
  std::vector<std::vector<float>> norms_;
};

/// Lattice message passing as an autograd Function: the backward of a (linear) filter A is A^T applied
/// to the output gradient, which is the reversed lattice filter; it is itself this Function with
/// `transpose` flipped, so higher derivatives work too.
class LatticeFilterFunction : public torch::autograd::Function<LatticeFilterFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q,
                               const c10::intrusive_ptr<LatticeBatch>& lattices, bool transpose) {
    ctx->saved_data["lattices"] = c10::IValue::make_capsule(lattices);
    ctx->saved_data["transpose"] = transpose;
    return lattices->apply(q, transpose);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto lattices = c10::static_intrusive_pointer_cast<LatticeBatch>(ctx->saved_data["lattices"].toCapsule());
    const bool transpose = ctx->saved_data["transpose"].toBool();
    return {LatticeFilterFunction::apply(grads[0].contiguous(), lattices, !transpose), torch::Tensor(), torch::Tensor()};
  }
};

/// One Gaussian kernel of the CRF, normalised, on lattices or exactly.
class GaussianMessages {
 public:
  GaussianMessages(const torch::Tensor& features, CrfRnnFiltering filtering) : filtering_(filtering) {
    if (filtering == CrfRnnFiltering::Lattice) {
      lattices_ = c10::make_intrusive<LatticeBatch>(features.to(torch::kFloat32));
      return;
    }
    // Exact: the dense normalised kernel matrix [B, N, N], in the features' dtype.
    const auto d2 = (features.unsqueeze(2) - features.unsqueeze(1)).pow(2).sum(-1);
    const auto k = torch::exp(-0.5 * d2);
    const auto s = k.sum(-1).rsqrt();
    kernel_ = s.unsqueeze(2) * k * s.unsqueeze(1);
  }

  /// Filtered q [B, N, L] (same dtype).
  torch::Tensor operator()(const torch::Tensor& q) const {
    if (filtering_ == CrfRnnFiltering::Exact) return torch::matmul(kernel_.to(q.dtype()), q);
    const auto in = q.scalar_type() == torch::kFloat32 ? q.contiguous() : q.to(torch::kFloat32).contiguous();
    return LatticeFilterFunction::apply(in, lattices_, false).to(q.scalar_type());
  }

 private:
  CrfRnnFiltering filtering_;
  c10::intrusive_ptr<LatticeBatch> lattices_;
  torch::Tensor kernel_;
};

}  // namespace

torch::Tensor crf_features(const torch::Tensor& images, double theta_xy, double theta_rgb, torch::Dtype dtype) {
  BEYOND_CHECK(images.dim() == 4 && images.size(1) == 3, "CRF-RNN: expected RGB images [B, 3, H, W], got ",
               images.sizes());
  BEYOND_CHECK(theta_xy > 0, "CRF-RNN: the position bandwidth must be positive, got ", theta_xy);
  const int64_t h = images.size(2), w = images.size(3);
  const auto opts = torch::TensorOptions().dtype(dtype);
  const auto y = torch::arange(h, opts).view({h, 1}).expand({h, w});
  const auto x = torch::arange(w, opts).view({1, w}).expand({h, w});
  const auto xy = torch::stack({x, y}, -1).reshape({1, h * w, 2}) / theta_xy;
  if (theta_rgb <= 0) return xy.contiguous();
  const auto rgb = images.detach().to(dtype).permute({0, 2, 3, 1}).reshape({images.size(0), h * w, 3}) / theta_rgb;
  return torch::cat({xy.expand({images.size(0), h * w, 2}), rgb}, -1).contiguous();
}

torch::Tensor lattice_gaussian_filter(const torch::Tensor& q, const torch::Tensor& features, bool transpose) {
  return LatticeFilterFunction::apply(q, c10::make_intrusive<LatticeBatch>(features), transpose);
}

CrfRnnImpl::CrfRnnImpl(CrfRnnOptions options_) : options(std::move(options_)) { reset(); }

void CrfRnnImpl::reset() {
  const int64_t labels = options.num_labels();
  BEYOND_CHECK(labels >= 1, "CrfRnn: num_labels must be >= 1, got ", labels);
  BEYOND_CHECK(options.iterations() >= 0 && options.eval_iterations() >= 0, "CrfRnn: iterations must be >= 0, got ",
               options.iterations(), " (train) and ", options.eval_iterations(), " (eval)");
  BEYOND_CHECK(options.theta_alpha() > 0 && options.theta_beta() > 0 && options.theta_gamma() > 0,
               "CrfRnn: the kernel bandwidths theta_alpha, theta_beta, theta_gamma must be positive, got ",
               options.theta_alpha(), ", ", options.theta_beta(), ", ", options.theta_gamma());
  const int64_t weights = options.per_label_weights() ? labels : 1;
  bilateral_weight = register_parameter("bilateral_weight", torch::full({weights}, options.bilateral_weight()));
  spatial_weight = register_parameter("spatial_weight", torch::full({weights}, options.spatial_weight()));
  compatibility = register_parameter("compatibility", torch::ones({labels, labels}) - torch::eye(labels),
                                     options.learn_compatibility());
}

torch::Tensor CrfRnnImpl::forward(const torch::Tensor& logits, const torch::Tensor& images) {
  return forward(logits, images, is_training() ? options.iterations() : options.eval_iterations());
}

torch::Tensor CrfRnnImpl::forward(const torch::Tensor& logits, const torch::Tensor& images, int iterations) {
  const int64_t labels = options.num_labels();
  BEYOND_CHECK(logits.dim() == 4 && logits.size(1) == labels, "CrfRnn: expected logits [B, ", labels,
               ", H, W], got ", logits.sizes());
  BEYOND_CHECK(images.dim() == 4 && images.size(0) == logits.size(0) && images.size(1) == 3 &&
                   images.size(2) == logits.size(2) && images.size(3) == logits.size(3),
               "CrfRnn: expected RGB images [", logits.size(0), ", 3, ", logits.size(2), ", ", logits.size(3),
               "] for logits ", logits.sizes(), ", got ", images.sizes());
  BEYOND_CHECK(iterations >= 0, "CrfRnn: iterations must be >= 0, got ", iterations);
  if (iterations == 0) return logits;
  const int64_t batch = logits.size(0), n = logits.size(2) * logits.size(3);
  // Features in float32 for the lattice, in the logits' dtype for exact filtering (float64 gradcheck).
  const auto dtype = options.filtering() == CrfRnnFiltering::Lattice ? torch::kFloat32 : logits.scalar_type();
  const GaussianMessages bilateral(crf_features(images, options.theta_alpha(), options.theta_beta(), dtype),
                                   options.filtering());
  const GaussianMessages spatial(crf_features(images, options.theta_gamma(), 0, dtype), options.filtering());
  // Pixel-major [B, N, L]: labels last, as the lattice and the compatibility product want them.
  const auto unary = logits.permute({0, 2, 3, 1}).reshape({batch, n, labels});
  const auto wb = bilateral_weight.to(logits.dtype()), ws = spatial_weight.to(logits.dtype());
  const auto mu_t = compatibility.to(logits.dtype()).t();
  auto scores = unary;
  for (int t = 0; t < iterations; ++t) {
    const auto q = torch::softmax(scores, -1);
    const auto messages = wb * bilateral(q) + ws * spatial(q);
    scores = unary - torch::matmul(messages, mu_t);
  }
  return scores.view({batch, logits.size(2), logits.size(3), labels}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace beyond::models
