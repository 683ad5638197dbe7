// DenseCRF's fused mean-field pass (slice, unary, compatibility, softmax and splat in one sweep over
// the pixels) against the same steps written plainly with PermutohedralLattice::filter, for every
// normalisation, compatibility form, label-row width and thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>

#include "beyond/crf/dense_crf.h"
#include "beyond/crf/permutohedral_lattice.h"
#include "crf/densecrf_fixture.h"

namespace beyond::crf {
namespace {

struct Problem {
  int64_t w, h, labels;
  std::vector<float> unary;  // [L, H, W]
};

Problem random_problem(int64_t w, int64_t h, int64_t labels, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 3.0f);
  Problem p{w, h, labels, std::vector<float>(static_cast<size_t>(w * h * labels))};
  // Smooth label preferences plus noise, so the messages matter.
  for (int64_t l = 0; l < labels; ++l)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        p.unary[(l * h + y) * w + x] = 1.5f + std::sin(0.3f * x + l) * std::cos(0.2f * y - l) + u(rng);
  return p;
}

/// Mean-field with one Gaussian term (features x/sxy, y/sxy), written with the lattice's plain filter:
/// Q <- softmax(-U - mu K Q), K normalised as `nt` says. Returns Q, [L, N].
std::vector<float> reference_mean_field(const Problem& p, float sxy, const Compatibility& mu, NormalizationType nt,
                                        int iterations) {
  const int64_t n = p.w * p.h, L = p.labels;
  std::vector<float> f(static_cast<size_t>(n * 2));
  for (int64_t i = 0; i < n; ++i) {
    f[i * 2] = static_cast<float>(i % p.w) / sxy;
    f[i * 2 + 1] = static_cast<float>(i / p.w) / sxy;
  }
  PermutohedralLattice lattice(f.data(), n, 2);
  std::vector<float> norm(n, 1.0f);
  lattice.filter(norm.data(), norm.data(), 1);
  for (float& v : norm) v = nt == NORMALIZE_SYMMETRIC ? 1.0f / std::sqrt(v + 1e-20f) : 1.0f / (v + 1e-20f);
  PermutohedralLattice::FilterOptions o;
  if (nt == NORMALIZE_SYMMETRIC || nt == NORMALIZE_BEFORE) o.in_scale = norm.data();
  if (nt == NORMALIZE_SYMMETRIC || nt == NORMALIZE_AFTER) o.out_scale = norm.data();
  std::vector<float> q(n * L), m(n * L), kq(n * L);  // pixel-major
  auto softmax = [&] {
    for (int64_t i = 0; i < n; ++i) {
      double mx = -1e30, z = 0;
      for (int64_t l = 0; l < L; ++l) mx = std::max(mx, double(m[i * L + l]));
      for (int64_t l = 0; l < L; ++l) z += std::exp(m[i * L + l] - mx);
      for (int64_t l = 0; l < L; ++l) q[i * L + l] = static_cast<float>(std::exp(m[i * L + l] - mx) / z);
    }
  };
  for (int it = 0; it <= iterations; ++it) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t l = 0; l < L; ++l) m[i * L + l] = -p.unary[l * n + i];
    if (it > 0) {
      lattice.filter(q.data(), kq.data(), L, o);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t a = 0; a < L; ++a)
          for (int64_t b = 0; b < L; ++b) m[i * L + a] -= mu(a, b, L) * kq[i * L + b];
    }
    softmax();
  }
  std::vector<float> planar(n * L);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t l = 0; l < L; ++l) planar[l * n + i] = q[i * L + l];
  return planar;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, double(std::fabs(a[i] - b[i])));
  return d;
}

TEST(DenseCrfPasses, FusedPassMatchesPlainFilteringForEveryNormalisation) {
  const Problem p = random_problem(23, 17, 5, 1);  // 5 labels: rows padded to 8
  for (NormalizationType nt : {NO_NORMALIZATION, NORMALIZE_BEFORE, NORMALIZE_AFTER, NORMALIZE_SYMMETRIC}) {
    // Without normalisation K 1 is ~ tens: a small weight keeps the step well-behaved.
    const float w = nt == NO_NORMALIZATION ? 0.1f : 2.0f;
    DenseCRF crf(p.w, p.h, p.labels);
    crf.set_unary_energy(p.unary);
    crf.add_pairwise_gaussian(2, w, DIAG_KERNEL, nt);
    const auto ours = crf.inference(3);
    const auto plain = reference_mean_field(p, 2, w, nt, 3);
    const double d = max_abs_diff(ours, plain);
    EXPECT_LT(d, 2e-5) << "normalisation " << int(nt);
    // The messages did change Q (the comparison is not of two softmax(-U)).
    const auto unary_only = reference_mean_field(p, 2, 0.0f, nt, 0);
    EXPECT_GT(max_abs_diff(ours, unary_only), 1e-2) << "normalisation " << int(nt);
  }
}

TEST(DenseCrfPasses, FusedPassMatchesPlainFilteringForEveryCompatibilityAndWidth) {
  // 3 labels (rows of 4), 21 (24), 16 (16) and 37 (40, no fixed-width kernel).
  for (int64_t labels : {3, 16, 21, 37}) {
    const Problem p = random_problem(19, 14, labels, static_cast<uint32_t>(labels));
    std::mt19937 rng(static_cast<uint32_t>(labels));
    std::uniform_real_distribution<float> u(-2.0f, 1.0f);
    std::vector<float> diagonal(labels), matrix(labels * labels);
    for (auto& v : diagonal) v = u(rng);
    for (auto& v : matrix) v = u(rng);
    const Compatibility compat[] = {Compatibility(2.5f), Compatibility::diagonal(diagonal),
                                    Compatibility::matrix(matrix, labels)};
    for (const auto& mu : compat) {
      DenseCRF crf(p.w, p.h, p.labels);
      crf.set_unary_energy(p.unary);
      crf.add_pairwise_gaussian(3, mu);
      const double d = max_abs_diff(crf.inference(2), reference_mean_field(p, 3, mu, NORMALIZE_SYMMETRIC, 2));
      EXPECT_LT(d, 2e-5) << labels << " labels, compatibility kind " << int(mu.kind());
    }
  }
}

TEST(DenseCrfPasses, SameResultOnOneAndSeveralThreads) {
  const auto fx = test::load_densecrf_fixture();
  using F = test::DenseCrfFixture;
  const int before = omp_get_max_threads();
  auto run = [&](int threads, std::vector<double>* energy) {
    omp_set_num_threads(threads);
    DenseCRF crf(F::kWidth, F::kHeight, F::kLabels);
    crf.set_unary_energy(fx.unary);
    crf.add_pairwise_gaussian(3, 3);
    crf.add_pairwise_bilateral(80, 13, fx.rgb.data(), 10);
    return crf.inference(5, energy);
  };
  std::vector<double> e1, e3;
  const auto one = run(1, &e1);
  const auto three = run(3, &e3);
  omp_set_num_threads(before);
  EXPECT_LT(max_abs_diff(one, three), 1e-5);
  ASSERT_EQ(e1.size(), e3.size());
  for (size_t i = 0; i < e1.size(); ++i) EXPECT_NEAR(e1[i], e3[i], 1e-5 * std::fabs(e1[i])) << "energy " << i;
}

}  // namespace
}  // namespace beyond::crf
