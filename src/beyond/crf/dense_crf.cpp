#include "beyond/crf/dense_crf.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "beyond/core/error.h"
#include "beyond/crf/vector_math.h"

namespace beyond::crf {
namespace {

int pixel_threads(int64_t work) {
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), std::max<int64_t>(1, work / 32768)));
}

/// For the pixels [first, last): out = softmax(in) over the first `labels` values of each row (rows
/// `stride` apart; the padding of `out` is set to zero), then, if `reset_to` ([N, labels]) is given, in = -reset_to:
/// the next iteration's messages start from -U in the same pass over memory.
BEYOND_CRF_KERNEL void softmax_range(float* in, float* out, const float* reset_to, int64_t first, int64_t last,
                                     int64_t labels, int64_t stride) {
  for (int64_t p = first; p < last; ++p) {
    float* x = in + p * stride;
    float* y = out + p * stride;
    float mx = x[0];
#pragma omp simd reduction(max : mx)
    for (int64_t l = 1; l < labels; ++l) mx = std::max(mx, x[l]);
    // exp over the whole padded row (whole vectors, no scalar tail), then the padding is zeroed.
#pragma omp simd
    for (int64_t l = 0; l < stride; ++l) y[l] = detail::fast_exp(x[l] - mx);
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t l = 0; l < labels; ++l) sum += y[l];
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t l = 0; l < stride; ++l) y[l] = l < labels ? y[l] * inv : 0.0f;
    if (reset_to) {
      const float* u = reset_to + p * labels;
#pragma omp simd
      for (int64_t l = 0; l < labels; ++l) x[l] = -u[l];
    }
  }
}

void softmax_rows(float* in, float* out, const float* reset_to, int64_t n, int64_t labels, int64_t stride) {
  const int threads = pixel_threads(n * labels);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    softmax_range(in, out, reset_to, n * t / threads, n * (t + 1) / threads, labels, stride);
  }
}

/// [L, N] planar -> [N, stride] pixel-major (and back), in tiles of pixels so both sides stream.
void planar_to_pixels(const float* planar, float* pixels, int64_t labels, int64_t n, int64_t stride) {
  constexpr int64_t kTile = 256;
#pragma omp parallel for num_threads(pixel_threads(n * labels)) schedule(static)
  for (int64_t p0 = 0; p0 < n; p0 += kTile)
    for (int64_t l = 0; l < labels; ++l)
      for (int64_t p = p0; p < std::min(n, p0 + kTile); ++p) pixels[p * stride + l] = planar[l * n + p];
}

void pixels_to_planar(const float* pixels, float* planar, int64_t labels, int64_t n, int64_t stride) {
  constexpr int64_t kTile = 256;
#pragma omp parallel for num_threads(pixel_threads(n * labels)) schedule(static)
  for (int64_t p0 = 0; p0 < n; p0 += kTile)
    for (int64_t l = 0; l < labels; ++l)
      for (int64_t p = p0; p < std::min(n, p0 + kTile); ++p) planar[l * n + p] = pixels[p * stride + l];
}

/// Row length of the pixel-major buffers: the labels rounded up to whole vectors (8 floats, or 4 for
/// at most 4 labels), so the lattice's inner loops have no scalar tails; the padding stays zero.
int64_t padded_labels(int64_t labels) { return labels <= 4 ? 4 : (labels + 7) / 8 * 8; }

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
  for (int64_t i = 0; i < n * labels_; ++i)
    BEYOND_CHECK(std::isfinite(unary[i]), "DenseCRF: the unary energy is ", unary[i], " at label ", i / n,
                 ", pixel (x ", (i % n) % width_, ", y ", (i % n) / width_, "); it must be finite (-log p of a p > 0)");
  unary_.resize(static_cast<size_t>(n * labels_));
  planar_to_pixels(unary, unary_.data(), labels_, n, labels_);
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
  }
  pairwise_.push_back(std::move(term));
}

void DenseCRF::add_messages(Pairwise& term, const float* q, float* messages, float* filtered) {
  PermutohedralLattice::FilterOptions o;
  const float* norm = term.norm.empty() ? nullptr : term.norm.data();
  if (term.normalization == NORMALIZE_SYMMETRIC || term.normalization == NORMALIZE_BEFORE) o.in_scale = norm;
  if (term.normalization == NORMALIZE_SYMMETRIC || term.normalization == NORMALIZE_AFTER) o.out_scale = norm;
  const int64_t n = width_ * height_, L = labels_, S = stride_;
  if (term.compat.kind() == Compatibility::Kind::Potts) {
    // messages -= (-w) K Q, fused into the slice.
    o.out_weight = term.compat.potts_weight();
    o.accumulate = true;
    term.lattice.filter(q, messages, S, o);
    return;
  }
  term.lattice.filter(q, filtered, S, o);
  const std::vector<float>& mu = term.compat.values();
  const bool diagonal = term.compat.kind() == Compatibility::Kind::Diagonal;
#pragma omp parallel for num_threads(pixel_threads(n * L)) schedule(static)
  for (int64_t p = 0; p < n; ++p) {
    const float* f = filtered + p * S;
    float* m = messages + p * S;
    for (int64_t a = 0; a < L; ++a) {
      if (diagonal) {
        m[a] -= mu[a] * f[a];
      } else {
        float s = 0;
        for (int64_t b = 0; b < L; ++b) s += mu[a * L + b] * f[b];
        m[a] -= s;
      }
    }
  }
}

std::vector<float> DenseCRF::inference(int iterations, std::vector<double>* free_energy) {
  BEYOND_CHECK(iterations >= 0, "DenseCRF::inference: iterations must be >= 0, got ", iterations);
  const int64_t n = width_ * height_, L = labels_, S = stride_;
  const size_t size = static_cast<size_t>(n * S);
  if (unary_.empty()) unary_.assign(static_cast<size_t>(n * L), 0.0f);  // densecrf: no unary means zero energy
  bool any_matrix = false;
  for (const auto& t : pairwise_) any_matrix |= t.compat.kind() != Compatibility::Kind::Potts;
  std::vector<float> q(size), messages(size), filtered(any_matrix ? size : 0);
  // Q0 = softmax(-U); messages = -U (padding columns stay zero in both).
  for (int64_t p = 0; p < n; ++p)
    for (int64_t l = 0; l < L; ++l) messages[p * S + l] = -unary_[p * L + l];
  softmax_rows(messages.data(), q.data(), unary_.data(), n, L, S);
  if (free_energy) free_energy->clear();
  for (int it = 0; it <= iterations; ++it) {
    if (it == iterations && !free_energy) break;
    // messages = -U - sum_k mu_k K_k Q
    for (auto& term : pairwise_) add_messages(term, q.data(), messages.data(), filtered.data());
    if (free_energy) {
      // F(Q) = sum Q (U + log Q) + 1/2 sum Q mu K Q, where mu K Q = -(messages + U).
      double f = 0;
#pragma omp parallel for num_threads(pixel_threads(n * L)) reduction(+ : f) schedule(static)
      for (int64_t p = 0; p < n; ++p)
        for (int64_t l = 0; l < L; ++l) {
          const double qi = q[p * S + l], u = unary_[p * L + l];
          const double pairwise = -(static_cast<double>(messages[p * S + l]) + u);
          f += qi * (u + 0.5 * pairwise) + (qi > 0 ? qi * std::log(qi) : 0.0);
        }
      free_energy->push_back(f);
    }
    if (it == iterations) break;
    // Q = softmax(messages), and messages = -U again for the next iteration.
    softmax_rows(messages.data(), q.data(), unary_.data(), n, L, S);
  }
  // The marginals, planar, in the messages' memory (no new allocation at the peak).
  std::vector<float>().swap(filtered);
  std::vector<float> planar = std::move(messages);
  planar.resize(static_cast<size_t>(n * L));
  pixels_to_planar(q.data(), planar.data(), L, n, S);
  return planar;
}

std::vector<int32_t> DenseCRF::map(int iterations) { return map_labels(inference(iterations), labels_, width_ * height_); }

size_t DenseCRF::memory_bytes() const {
  size_t bytes = unary_.capacity() * sizeof(float);
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
