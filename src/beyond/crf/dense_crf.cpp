#include "beyond/crf/dense_crf.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "beyond/core/error.h"
#include "beyond/crf/vector_math.h"

namespace beyond::crf {
namespace {

using detail::all_max8;
using detail::all_sum8;
using detail::load8;
using detail::max8;
using detail::store8;
using detail::v8f;

int pixel_threads(int64_t work) {
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), std::max<int64_t>(1, work / 32768)));
}

/// Row length of the pixel-major buffers: the labels rounded up to whole vectors of 8 floats, so
/// the inner loops have no scalar tails. The padding of Q and of the lattice values stays zero;
/// that of -U is kPadLogit, so the softmax may run over whole padded rows.
int64_t padded_labels(int64_t labels) { return (labels + 7) / 8 * 8; }

/// The logit of the padding labels: never the maximum, and its exp (clamped to e^-87.3, ~1e-38) does
/// not change the sum of a softmax whose largest term is 1.
constexpr float kPadLogit = -1e30f;

/// One pairwise term's part of a mean-field pass over the pixels.
struct TermPass {
  const int32_t* vertex_rows;  // [N, d1]
  const float* barycentric;    // [N, d1]
  int d1;
  const float* slice_from;  // K-filtered values of the previous Q on the lattice ([M+1, S]); null: no slice
  float* splat_to;          // splat buffer for this pass's Q; null: no splat
  PermutohedralLattice::SplatPlan::Target target;  // of the thread's plan slot
  const float* in_scale;     // [N] or null
  const float* out_scale;    // [N] or null
  float alpha;               // the lattice's slice factor
  const float* coefficient;  // [S]: messages += alpha * out_scale * coefficient * (K Q); null for a full matrix
  const float* matrix;       // [L, L] mu: messages -= alpha * out_scale * mu (K Q)
};

/// What one pass over the pixels does. For each pixel p of [p0, p1):
///   m = -U_p + sum over terms of their messages (sliced from the previous Q),
///   [energy: F += the free energy terms of the previous Q (kept in q_keep) and m]
///   [softmax: Q_p = softmax(m); kept in q_keep, written to q_planar, splatted into each term's splat_to].
struct PassArgs {
  const TermPass* terms;
  int num_terms;
  const float* neg_unary;  // [N, S]
  int64_t n, labels, stride;
  bool softmax;
  float* q_planar;  // [L, N] or null
  float* q_keep;    // [N, S] or null
  bool energy;
};

/// The pass for rows of 8 * NV floats (NV == 0: nv at run time, with its vectors in `scratch`).
/// Everything per pixel is whole vectors held in registers: the messages, each term's K Q, Q.
template <int NV>
BEYOND_CRF_ROW double meanfield_pixels_t(const PassArgs& a, int64_t p0, int64_t p1, v8f* scratch) {
  const int64_t nv = NV > 0 ? NV : a.stride / 8, S = 8 * nv, L = a.labels;
  v8f m_local[NV > 0 ? NV : 1], k_local[NV > 0 ? NV : 1], q_local[NV > 0 ? NV : 1], keep_local[NV > 0 ? NV : 1];
  v8f* m = NV > 0 ? m_local : scratch;                // the messages (logits of Q)
  v8f* kq = NV > 0 ? k_local : scratch + nv;          // one term's K Q
  v8f* q = NV > 0 ? q_local : scratch + 2 * nv;       // the new Q
  v8f* keep = NV > 0 ? keep_local : scratch + 3 * nv;  // 1 for labels, 0 for the padding
  float* values = reinterpret_cast<float*>(scratch + 4 * nv);  // S floats for the rare scalar steps
  for (int64_t i = 0; i < nv; ++i)
    for (int j = 0; j < 8; ++j) keep[i][j] = 8 * i + j < L ? 1.0f : 0.0f;
  double energy = 0;
  for (int64_t p = p0; p < p1; ++p) {
    const float* nu = a.neg_unary + p * S;
    for (int64_t i = 0; i < nv; ++i) m[i] = load8(nu + 8 * i);
    for (int k = 0; k < a.num_terms; ++k) {
      const TermPass& t = a.terms[k];
      if (!t.slice_from) continue;
      const int32_t* rows = t.vertex_rows + p * t.d1;
      const float* w = t.barycentric + p * t.d1;
      const float* row = t.slice_from + static_cast<int64_t>(rows[0]) * S;
      for (int64_t i = 0; i < nv; ++i) kq[i] = w[0] * load8(row + 8 * i);
      for (int r = 1; r < t.d1; ++r) {
        row = t.slice_from + static_cast<int64_t>(rows[r]) * S;
        for (int64_t i = 0; i < nv; ++i) kq[i] += w[r] * load8(row + 8 * i);
      }
      const float scale = t.alpha * (t.out_scale ? t.out_scale[p] : 1.0f);
      if (t.coefficient) {
        for (int64_t i = 0; i < nv; ++i) m[i] += scale * load8(t.coefficient + 8 * i) * kq[i];
      } else {
        for (int64_t i = 0; i < nv; ++i) store8(values + 8 * i, kq[i]);
        for (int64_t i = 0; i < L; ++i) {
          float sum = 0;
          for (int64_t j = 0; j < L; ++j) sum += t.matrix[i * L + j] * values[j];
          m[i / 8][i % 8] -= scale * sum;
        }
      }
    }
    if (a.energy) {
      // F(Q) = sum Q (U + log Q) + 1/2 sum Q mu K Q, with mu K Q = -(m + U) = nu - m.
      const float* qp = a.q_keep + p * S;
      for (int64_t l = 0; l < L; ++l) {
        const double qi = qp[l], u = -nu[l], pairwise = double(nu[l]) - double(m[l / 8][l % 8]);
        energy += qi * (u + 0.5 * pairwise) + (qi > 0 ? qi * std::log(qi) : 0.0);
      }
    }
    if (!a.softmax) continue;
    // Softmax over the whole padded row; the padding (logit kPadLogit) is then zeroed.
    v8f mx = m[0];
    for (int64_t i = 1; i < nv; ++i) mx = max8(mx, m[i]);
    mx = all_max8(mx);
    v8f sum = v8f{};
    for (int64_t i = 0; i < nv; ++i) {
      q[i] = detail::fast_exp<v8f, true>(m[i] - mx);  // m - max <= 0
      sum += q[i];
    }
    const v8f inv = 1.0f / all_sum8(sum);
    for (int64_t i = 0; i < nv; ++i) q[i] *= inv * keep[i];
    if (a.q_keep)
      for (int64_t i = 0; i < nv; ++i) store8(a.q_keep + p * S + 8 * i, q[i]);
    if (a.q_planar)
      for (int64_t l = 0; l < L; ++l) a.q_planar[l * a.n + p] = q[l / 8][l % 8];
    for (int k = 0; k < a.num_terms; ++k) {
      const TermPass& t = a.terms[k];
      if (!t.splat_to) continue;
      const int32_t* rows = t.vertex_rows + p * t.d1;
      const float* w = t.barycentric + p * t.d1;
      const float s = t.in_scale ? t.in_scale[p] : 1.0f;
      for (int r = 0; r < t.d1; ++r) {
        float* row = t.splat_to + static_cast<int64_t>(t.target.row(rows[r])) * S;
        const float ws = w[r] * s;
        for (int64_t i = 0; i < nv; ++i) store8(row + 8 * i, load8(row + 8 * i) + ws * q[i]);
      }
    }
  }
  return energy;
}

/// One pass over the pixels [p0, p1) (see PassArgs); returns their free-energy terms if asked.
/// `scratch` holds 5 * stride / 8 vectors (used for label counts without a fixed-width kernel).
BEYOND_CRF_KERNEL double meanfield_pixels(const PassArgs& a, int64_t p0, int64_t p1, v8f* scratch) {
  switch (a.stride) {
    case 8: return meanfield_pixels_t<1>(a, p0, p1, scratch);
    case 16: return meanfield_pixels_t<2>(a, p0, p1, scratch);
    case 24: return meanfield_pixels_t<3>(a, p0, p1, scratch);
    case 32: return meanfield_pixels_t<4>(a, p0, p1, scratch);
    default: return meanfield_pixels_t<0>(a, p0, p1, scratch);
  }
}

}  // namespace

Compatibility Compatibility::diagonal(std::vector<float> w) {
  BEYOND_CHECK(!w.empty(), "Compatibility::diagonal: needs one weight per label, got none");
  return Compatibility(Kind::Diagonal, std::move(w));
}

Compatibility Compatibility::matrix(std::vector<float> m, int64_t labels) {
  BEYOND_CHECK(labels >= 1 && static_cast<int64_t>(m.size()) == labels * labels, "Compatibility::matrix: expected ",
               labels, "x", labels, " = ", labels * labels, " values (row-major), got ", m.size());
  std::vector<float> symmetric(m.size());
  for (int64_t a = 0; a < labels; ++a)
    for (int64_t b = 0; b < labels; ++b) symmetric[a * labels + b] = 0.5f * (m[a * labels + b] + m[b * labels + a]);
  return Compatibility(Kind::Matrix, std::move(symmetric));
}

float Compatibility::operator()(int64_t a, int64_t b, int64_t labels) const {
  switch (kind_) {
    case Kind::Potts: return a == b ? -weight_ : 0.0f;
    case Kind::Diagonal: return a == b ? values_[a] : 0.0f;
    case Kind::Matrix: return values_[a * labels + b];
  }
  return 0.0f;
}

DenseCRF::DenseCRF(int64_t width, int64_t height, int64_t labels)
    : width_(width), height_(height), labels_(labels), stride_(padded_labels(labels)) {
  BEYOND_CHECK(width >= 1 && height >= 1, "DenseCRF: image size must be at least 1x1, got ", width, "x", height);
  BEYOND_CHECK(labels >= 1, "DenseCRF: needs at least one label, got ", labels);
}

void DenseCRF::set_unary_energy(const float* unary) {
  const int64_t n = width_ * height_;
  // [L, N] planar -> -U as [N, stride] pixel-major, in tiles of pixels so both sides stream; the
  // finiteness check rides along (branch-free), and the loop that names the culprit runs only when it fails.
  constexpr int64_t kTile = 256;
  const int64_t L = labels_, S = stride_;
  detail::assign_fresh(neg_unary_, static_cast<size_t>(n * S) + detail::kAlignSlack, 0.0f);
  float* out = detail::align64(neg_unary_.data());
  bool finite = true;
#pragma omp parallel for num_threads(pixel_threads(n * L)) schedule(static) reduction(&& : finite)
  for (int64_t p0 = 0; p0 < n; p0 += kTile) {
    const int64_t p1 = std::min(n, p0 + kTile);
    bool ok = true;
    for (int64_t l = 0; l < L; ++l)
      for (int64_t p = p0; p < p1; ++p) {
        const float u = unary[l * n + p];
        ok &= std::fabs(u) <= std::numeric_limits<float>::max();
        out[p * S + l] = -u;
      }
    for (int64_t p = p0; p < p1; ++p) std::fill(out + p * S + L, out + (p + 1) * S, kPadLogit);
    finite = finite && ok;
  }
  if (!finite) neg_unary_.clear();  // no half-set unary is left behind
  for (int64_t i = 0; !finite && i < n * labels_; ++i)
    BEYOND_CHECK(std::isfinite(unary[i]), "DenseCRF: the unary energy is ", unary[i], " at label ", i / n,
                 ", pixel (x ", (i % n) % width_, ", y ", (i % n) / width_, "); it must be finite (-log p of a p > 0)");
}

void DenseCRF::set_unary_energy(const std::vector<float>& unary) {
  BEYOND_CHECK(static_cast<int64_t>(unary.size()) == labels_ * height_ * width_, "DenseCRF: the unary has ",
               unary.size(), " values, expected [labels, height, width] = [", labels_, ", ", height_, ", ", width_, "]");
  set_unary_energy(unary.data());
}

void DenseCRF::set_unary_from_logits(const std::vector<float>& logits) {
  BEYOND_CHECK(static_cast<int64_t>(logits.size()) == labels_ * height_ * width_, "DenseCRF: the logits have ",
               logits.size(), " values, expected [labels, height, width] = [", labels_, ", ", height_, ", ", width_, "]");
  const int64_t n = width_ * height_;
  std::vector<float> unary(logits.size());
  for (int64_t p = 0; p < n; ++p) {
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t l = 0; l < labels_; ++l) mx = std::max(mx, logits[l * n + p]);
    double sum = 0;
    for (int64_t l = 0; l < labels_; ++l) sum += std::exp(static_cast<double>(logits[l * n + p] - mx));
    const float log_z = mx + static_cast<float>(std::log(sum));
    for (int64_t l = 0; l < labels_; ++l) unary[l * n + p] = log_z - logits[l * n + p];
  }
  set_unary_energy(unary.data());
}

void DenseCRF::set_unary_from_probabilities(const std::vector<float>& probabilities, float clip) {
  BEYOND_CHECK(static_cast<int64_t>(probabilities.size()) == labels_ * height_ * width_,
               "DenseCRF: the probabilities have ", probabilities.size(), " values, expected [labels, height, width] = [",
               labels_, ", ", height_, ", ", width_, "]");
  BEYOND_CHECK(clip > 0, "DenseCRF: the probability clip must be positive, got ", clip);
  std::vector<float> unary(probabilities.size());
  for (size_t i = 0; i < unary.size(); ++i) {
    BEYOND_CHECK(!std::isnan(probabilities[i]), "DenseCRF: probability ", i, " is NaN");
    unary[i] = -std::log(std::min(1.0f, std::max(clip, probabilities[i])));
  }
  set_unary_energy(unary.data());
}

void DenseCRF::add_pairwise_gaussian(float sxy, const Compatibility& compat, KernelType kernel,
                                     NormalizationType normalization) {
  BEYOND_CHECK(sxy > 0 && std::isfinite(sxy), "DenseCRF::add_pairwise_gaussian: sxy must be positive, got ", sxy);
  const int64_t n = width_ * height_;
  std::vector<float> features(static_cast<size_t>(n * 2));
  for (int64_t y = 0; y < height_; ++y)
    for (int64_t x = 0; x < width_; ++x) {
      features[(y * width_ + x) * 2 + 0] = static_cast<float>(x) / sxy;
      features[(y * width_ + x) * 2 + 1] = static_cast<float>(y) / sxy;
    }
  add_pairwise_energy(features, 2, compat, kernel, normalization);
}

void DenseCRF::add_pairwise_bilateral(float sxy, float srgb, const uint8_t* rgb, const Compatibility& compat,
                                      KernelType kernel, NormalizationType normalization) {
  BEYOND_CHECK(sxy > 0 && std::isfinite(sxy), "DenseCRF::add_pairwise_bilateral: sxy must be positive, got ", sxy);
  BEYOND_CHECK(srgb > 0 && std::isfinite(srgb), "DenseCRF::add_pairwise_bilateral: srgb must be positive, got ", srgb);
  BEYOND_CHECK(rgb, "DenseCRF::add_pairwise_bilateral: null image");
  const int64_t n = width_ * height_;
  std::vector<float> features(static_cast<size_t>(n * 5));
  for (int64_t y = 0; y < height_; ++y)
    for (int64_t x = 0; x < width_; ++x) {
      const int64_t p = y * width_ + x;
      float* f = features.data() + p * 5;
      f[0] = static_cast<float>(x) / sxy;
      f[1] = static_cast<float>(y) / sxy;
      for (int c = 0; c < 3; ++c) f[2 + c] = static_cast<float>(rgb[p * 3 + c]) / srgb;
    }
  add_pairwise_energy(features, 5, compat, kernel, normalization);
}

void DenseCRF::add_pairwise_energy(const std::vector<float>& features, int dim, const Compatibility& compat,
                                   KernelType kernel, NormalizationType normalization) {
  const int64_t n = width_ * height_;
  BEYOND_CHECK(dim >= 1 && static_cast<int64_t>(features.size()) == n * dim, "DenseCRF::add_pairwise_energy: expected ",
               n, " x ", dim, " features, got ", features.size(), " values");
  if (compat.kind() == Compatibility::Kind::Diagonal)
    BEYOND_CHECK(static_cast<int64_t>(compat.values().size()) == labels_, "DenseCRF: the diagonal compatibility has ",
                 compat.values().size(), " weights for ", labels_, " labels");
  if (compat.kind() == Compatibility::Kind::Matrix)
    BEYOND_CHECK(static_cast<int64_t>(compat.values().size()) == labels_ * labels_, "DenseCRF: the compatibility matrix has ",
                 compat.values().size(), " values, expected ", labels_, "x", labels_);
  BEYOND_CHECK(kernel >= CONST_KERNEL && kernel <= FULL_KERNEL, "DenseCRF: unknown kernel type ", int(kernel));
  BEYOND_CHECK(normalization >= NO_NORMALIZATION && normalization <= NORMALIZE_SYMMETRIC,
               "DenseCRF: unknown normalization type ", int(normalization));
  Pairwise term{PermutohedralLattice(features.data(), n, dim), {}, compat, kernel, normalization};
  if (normalization != NO_NORMALIZATION) {
    // n_i = (K 1)_i; densecrf adds 1e-20 before dividing.
    term.norm.assign(static_cast<size_t>(n), 1.0f);
    term.lattice.filter(term.norm.data(), term.norm.data(), 1);
    for (float& v : term.norm)
      v = normalization == NORMALIZE_SYMMETRIC ? 1.0f / std::sqrt(v + 1e-20f) : 1.0f / (v + 1e-20f);
    term.lattice.release_workspace();  // inference() keeps its own buffers
  }
  pairwise_.push_back(std::move(term));
}

std::vector<float> DenseCRF::inference(int iterations, std::vector<double>* free_energy) {
  BEYOND_CHECK(iterations >= 0, "DenseCRF::inference: iterations must be >= 0, got ", iterations);
  const int64_t n = width_ * height_, L = labels_, S = stride_;
  // densecrf: no unary means zero energy.
  if (neg_unary_.empty()) {
    neg_unary_.assign(static_cast<size_t>(n * S) + detail::kAlignSlack, 0.0f);
    float* nu = detail::align64(neg_unary_.data());
    for (int64_t p = 0; p < n; ++p) std::fill(nu + p * S + L, nu + (p + 1) * S, kPadLogit);
  }
  const int threads = pixel_threads(n * L);
  const int num_terms = static_cast<int>(pairwise_.size());

  // Per term: three value buffers on its lattice, whose roles rotate: the blurred values of the
  // previous Q (sliced during a pass), the splat target of the new Q, and the blur's second buffer.
  struct TermState {
    const PermutohedralLattice::SplatPlan* plan;
    std::vector<float> storage[3];
    float* buffers[3];  // 64-byte aligned, in storage
    std::vector<float> coefficient;  // [S], or empty for a full matrix
    const float *in_scale, *out_scale;
  };
  std::vector<TermState> states(pairwise_.size());
  for (size_t k = 0; k < pairwise_.size(); ++k) {
    Pairwise& term = pairwise_[k];
    TermState& st = states[k];
    st.plan = &term.lattice.plan(threads);
    if (iterations > 0 || free_energy)
      for (int b = 0; b < 3; ++b) {
        detail::assign_fresh(st.storage[b], static_cast<size_t>(st.plan->splat_rows() * S) + detail::kAlignSlack, 0.0f);
        st.buffers[b] = detail::align64(st.storage[b].data());
      }
    // messages -= mu K Q: Potts mu = -w, so + w K Q; diagonal mu = diag(w), so - w K Q.
    if (term.compat.kind() != Compatibility::Kind::Matrix) {
      st.coefficient.assign(static_cast<size_t>(S), 0.0f);  // the padding stays zero
      for (int64_t l = 0; l < L; ++l)
        st.coefficient[l] = term.compat.kind() == Compatibility::Kind::Potts ? term.compat.potts_weight()
                                                                            : -term.compat.values()[l];
    }
    const float* norm = term.norm.empty() ? nullptr : term.norm.data();
    const auto nt = term.normalization;
    st.in_scale = nt == NORMALIZE_SYMMETRIC || nt == NORMALIZE_BEFORE ? norm : nullptr;
    st.out_scale = nt == NORMALIZE_SYMMETRIC || nt == NORMALIZE_AFTER ? norm : nullptr;
  }
  std::vector<float> planar;
  detail::assign_fresh(planar, static_cast<size_t>(n * L), 0.0f);
  std::vector<float> q_keep(free_energy ? static_cast<size_t>(n * S) : 0);
  std::vector<float> scratch(static_cast<size_t>(threads * 5 * S));
  std::vector<double> partial(static_cast<size_t>(threads), 0.0);
  if (free_energy) free_energy->clear();

  // Pass 0: Q0 = softmax(-U). Pass i (1..iterations): slice K Q_{i-1}, Q_i = softmax(-U - sum mu K Q).
  // With the free energy, each pass i also adds F(Q_{i-1}), and one more pass (slice only) F(Q_last).
  const int passes = iterations + 1 + (free_energy ? 1 : 0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    std::vector<TermPass> terms(pairwise_.size());
    std::vector<int> result(pairwise_.size(), -1);  // which buffer holds the blurred values
    for (int pass = 0; pass < passes; ++pass) {
      const bool splat = pass < iterations || (free_energy && pass == iterations);
      PassArgs args{terms.data(), num_terms, detail::align64(neg_unary_.data()), n, L, S,
                    /*softmax=*/pass <= iterations, pass == iterations ? planar.data() : nullptr,
                    free_energy ? q_keep.data() : nullptr, free_energy && pass > 0};
      for (int k = 0; k < num_terms; ++k) {
        const PermutohedralLattice& lattice = pairwise_[k].lattice;
        TermState& st = states[k];
        const int x = (result[k] + 1) % 3;  // splat target: not the buffer being sliced
        terms[k] = TermPass{lattice.vertex_rows(),
                            lattice.barycentric(),
                            lattice.dim() + 1,
                            result[k] < 0 ? nullptr : st.buffers[result[k]],
                            splat ? st.buffers[x] : nullptr,
                            {},
                            st.in_scale,
                            st.out_scale,
                            lattice.slice_factor(),
                            st.coefficient.empty() ? nullptr : st.coefficient.data(),
                            pairwise_[k].compat.values().data()};
        if (splat) lattice.zero_splat(*st.plan, st.buffers[x], S);
      }
#pragma omp barrier
      double energy = 0;
      for (int u = t; u < threads; u += team) {
        for (int k = 0; k < num_terms; ++k) terms[k].target = states[k].plan->target(u);
        // The same split of the pixels as the lattices' plans (SplatPlan::point_begin).
        energy += meanfield_pixels(args, n * u / threads, n * (u + 1) / threads,
                                   reinterpret_cast<v8f*>(scratch.data() + static_cast<size_t>(t) * 5 * S));
      }
      partial[t] = energy;
#pragma omp barrier
      if (args.energy) {
#pragma omp single
        {
          double f = 0;
          for (int i = 0; i < team; ++i) f += partial[i];
          free_energy->push_back(f);
        }
      }
      if (!splat) continue;
      for (int k = 0; k < num_terms; ++k) {
        const PermutohedralLattice& lattice = pairwise_[k].lattice;
        TermState& st = states[k];
        const int x = (result[k] + 1) % 3, y = (result[k] + 2) % 3;
        lattice.reduce_splat(*st.plan, st.buffers[x], S);
        const float* r = lattice.blur(st.buffers[x], st.buffers[y], S, false);
        result[k] = r == st.buffers[x] ? x : y;
      }
    }
  }
  return planar;
}

std::vector<int32_t> DenseCRF::map(int iterations) { return map_labels(inference(iterations), labels_, width_ * height_); }

size_t DenseCRF::memory_bytes() const {
  size_t bytes = neg_unary_.capacity() * sizeof(float);
  for (const auto& t : pairwise_) bytes += t.lattice.memory_bytes() + t.norm.capacity() * sizeof(float);
  return bytes;
}

std::vector<int32_t> map_labels(const std::vector<float>& q, int64_t labels, int64_t n) {
  BEYOND_CHECK(labels >= 1 && static_cast<int64_t>(q.size()) == labels * n, "map_labels: ", q.size(),
               " marginals for ", labels, " labels x ", n, " points");
  std::vector<int32_t> out(static_cast<size_t>(n), 0);
  std::vector<float> best(q.begin(), q.begin() + n);
  for (int64_t l = 1; l < labels; ++l)
    for (int64_t p = 0; p < n; ++p)
      if (q[l * n + p] > best[p]) {
        best[p] = q[l * n + p];
        out[p] = static_cast<int32_t>(l);
      }
  return out;
}

std::vector<float> dense_crf(const std::vector<float>& unary, const uint8_t* rgb, int64_t width, int64_t height,
                             int64_t labels, const Options& options) {
  DenseCRF crf(width, height, labels);
  crf.set_unary_energy(unary);
  crf.add_pairwise_gaussian(options.gaussian_sxy_, options.gaussian_compat_);
  crf.add_pairwise_bilateral(options.bilateral_sxy_, options.bilateral_srgb_, rgb, options.bilateral_compat_);
  return crf.inference(options.iterations_);
}

}  // namespace beyond::crf
