// Mean-field on the lattice against exact dense mean-field, the free energy over iterations, the
// compatibility forms and the unary helpers.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

#include "beyond/crf/dense_crf.h"
#include "crf/densecrf_fixture.h"
#include "support/error_of.h"

namespace beyond::crf {
namespace {

/// A tiny scene: a disc of one colour on a two-tone background, with noisy 3-label unaries that
/// are wrong on a fraction of the pixels.
struct TinyScene {
  int64_t w = 0, h = 0, labels = 3;
  std::vector<uint8_t> rgb;
  std::vector<float> unary;  // [L, H, W]
};

TinyScene tiny_scene(int64_t w, int64_t h, uint32_t seed) {
  TinyScene s;
  s.w = w;
  s.h = h;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 1.2f);
  std::normal_distribution<float> pixel_noise(0, 8);
  s.rgb.resize(w * h * 3);
  s.unary.resize(s.labels * w * h);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const bool disc = (x - w / 2.0) * (x - w / 2.0) + (y - h / 2.0) * (y - h / 2.0) < (h / 3.0) * (h / 3.0);
      const int truth = disc ? 2 : (x < w / 2 ? 0 : 1);
      const float colours[3][3] = {{40, 90, 160}, {200, 180, 60}, {220, 40, 50}};
      for (int c = 0; c < 3; ++c)
        s.rgb[(y * w + x) * 3 + c] = static_cast<uint8_t>(std::clamp(colours[truth][c] + pixel_noise(rng), 0.0f, 255.0f));
      for (int l = 0; l < 3; ++l) s.unary[(l * h + y) * w + x] = (l == truth ? 0.5f : 1.5f) + noise(rng);
    }
  return s;
}

/// Exact dense mean-field with the engine's model: k(i, j) = exp(-|f_i - f_j|^2 / 2) summed over all
/// j (i included), symmetric normalisation, Potts compatibilities. Q is [L, N].
std::vector<float> exact_mean_field(const TinyScene& s, float g_sxy, float g_w, float b_sxy, float b_srgb, float b_w,
                                    int iterations) {
  const int64_t n = s.w * s.h, L = s.labels;
  auto features = [&](int64_t p, bool bilateral, double* f) {
    const double sxy = bilateral ? b_sxy : g_sxy;
    f[0] = double(p % s.w) / sxy;
    f[1] = double(p / s.w) / sxy;
    if (bilateral)
      for (int c = 0; c < 3; ++c) f[2 + c] = s.rgb[p * 3 + c] / double(b_srgb);
  };
  std::vector<std::vector<double>> kernels;  // per term: n x n, symmetric-normalised, times its weight
  for (bool bilateral : {false, true}) {
    const int dim = bilateral ? 5 : 2;
    std::vector<double> k(n * n), norm(n, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double fi[5], fj[5], d2 = 0;
        features(i, bilateral, fi);
        features(j, bilateral, fj);
        for (int c = 0; c < dim; ++c) d2 += (fi[c] - fj[c]) * (fi[c] - fj[c]);
        k[i * n + j] = std::exp(-0.5 * d2);
        norm[i] += k[i * n + j];
      }
    const double w = bilateral ? b_w : g_w;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) k[i * n + j] *= w / std::sqrt(norm[i] * norm[j]);
    kernels.push_back(std::move(k));
  }
  std::vector<double> q(L * n), e(L * n);
  auto softmax = [&] {
    for (int64_t p = 0; p < n; ++p) {
      double mx = -1e300, z = 0;
      for (int64_t l = 0; l < L; ++l) mx = std::max(mx, e[l * n + p]);
      for (int64_t l = 0; l < L; ++l) z += std::exp(e[l * n + p] - mx);
      for (int64_t l = 0; l < L; ++l) q[l * n + p] = std::exp(e[l * n + p] - mx) / z;
    }
  };
  for (int64_t i = 0; i < L * n; ++i) e[i] = -s.unary[i];
  softmax();
  for (int it = 0; it < iterations; ++it) {
    for (int64_t i = 0; i < L * n; ++i) e[i] = -s.unary[i];
    for (const auto& k : kernels)
      for (int64_t l = 0; l < L; ++l)
        for (int64_t i = 0; i < n; ++i) {
          double m = 0;
          for (int64_t j = 0; j < n; ++j) m += k[i * n + j] * q[l * n + j];
          e[l * n + i] += m;  // Potts: -mu K Q = +w K Q
        }
    softmax();
  }
  return std::vector<float>(q.begin(), q.end());
}

TEST(DenseCrf, LatticeMeanFieldMatchesExactMeanField) {
  for (uint32_t seed : {1u, 2u}) {
    const TinyScene s = tiny_scene(28, 22, seed);
    const int64_t n = s.w * s.h;
    DenseCRF crf(s.w, s.h, s.labels);
    crf.set_unary_energy(s.unary);
    crf.add_pairwise_gaussian(3, 3);
    crf.add_pairwise_bilateral(8, 20, s.rgb.data(), 6);
    const auto q = crf.inference(10);
    const auto exact = exact_mean_field(s, 3, 3, 8, 20, 6, 10);
    const auto ours = map_labels(q, s.labels, n), theirs = map_labels(exact, s.labels, n);
    std::vector<float> q0(s.unary.size());
    for (size_t i = 0; i < q0.size(); ++i) q0[i] = -s.unary[i];
    const auto unary_only = map_labels(q0, s.labels, n);
    int64_t agree = 0, changed = 0;
    double max_abs = 0;
    for (int64_t p = 0; p < n; ++p) {
      agree += ours[p] == theirs[p];
      changed += unary_only[p] != theirs[p];
    }
    for (size_t i = 0; i < q.size(); ++i) max_abs = std::max(max_abs, double(std::fabs(q[i] - exact[i])));
    std::cout << "lattice vs exact mean-field (seed " << seed << "): labels agree on " << agree << "/" << n
              << ", marginals max abs diff " << max_abs << "; mean-field changed " << changed << " unary labels\n";
    EXPECT_GE(double(agree) / n, 0.99);
    EXPECT_GT(changed, n / 20);  // the CRF did real work, so agreement is not a given
  }
}

TEST(DenseCrf, FreeEnergyGoesDown) {
  const auto fx = test::load_densecrf_fixture();
  using F = test::DenseCrfFixture;
  DenseCRF crf(F::kWidth, F::kHeight, F::kLabels);
  crf.set_unary_energy(fx.unary);
  crf.add_pairwise_gaussian(3, 3);
  crf.add_pairwise_bilateral(80, 13, fx.rgb.data(), 10);
  std::vector<double> energy;
  const auto q = crf.inference(10, &energy);
  ASSERT_EQ(energy.size(), 11u);
  for (size_t t = 1; t < energy.size(); ++t) {
    std::cout << "free energy after " << t << " iterations: " << energy[t] << "\n";
    EXPECT_LE(energy[t], energy[t - 1] + 1e-6 * std::fabs(energy[t - 1])) << "iteration " << t;
  }
  EXPECT_LT(energy.back(), energy.front() - 1.0);
  // Asking for the energy does not change the result.
  double max_abs = 0;
  for (size_t i = 0; i < q.size(); ++i) max_abs = std::max(max_abs, double(std::fabs(q[i] - fx.reference[i])));
  EXPECT_LE(max_abs, 1e-3);
}

TEST(DenseCrf, PottsDiagonalAndMatrixCompatibilitiesAgree) {
  const TinyScene s = tiny_scene(20, 15, 3);
  auto run = [&](const Compatibility& g, const Compatibility& b) {
    DenseCRF crf(s.w, s.h, s.labels);
    crf.set_unary_energy(s.unary);
    crf.add_pairwise_gaussian(3, g);
    crf.add_pairwise_bilateral(8, 20, s.rgb.data(), b);
    return crf.inference(5);
  };
  const auto potts = run(3, 6);
  const auto diagonal = run(Compatibility::diagonal({-3, -3, -3}), Compatibility::diagonal({-6, -6, -6}));
  const auto matrix = run(Compatibility::matrix({-3, 0, 0, 0, -3, 0, 0, 0, -3}, 3),
                          Compatibility::matrix({-6, 0, 0, 0, -6, 0, 0, 0, -6}, 3));
  const auto none = run(0, 0);
  double d_diag = 0, d_matrix = 0, d_none = 0;
  for (size_t i = 0; i < potts.size(); ++i) {
    d_diag = std::max(d_diag, double(std::fabs(potts[i] - diagonal[i])));
    d_matrix = std::max(d_matrix, double(std::fabs(potts[i] - matrix[i])));
    d_none = std::max(d_none, double(std::fabs(potts[i] - none[i])));
  }
  EXPECT_LT(d_diag, 1e-5);
  EXPECT_LT(d_matrix, 1e-5);
  EXPECT_GT(d_none, 0.05);
  // A non-Potts matrix: repelling labels 0 and 1 changes the result.
  const auto repel = run(3, Compatibility::matrix({-6, 4, 0, 4, -6, 0, 0, 0, -6}, 3));
  double d_repel = 0;
  for (size_t i = 0; i < potts.size(); ++i) d_repel = std::max(d_repel, double(std::fabs(potts[i] - repel[i])));
  EXPECT_GT(d_repel, 1e-3);
  EXPECT_FLOAT_EQ(Compatibility::matrix({0, 2, 4, 0}, 2)(0, 1, 2), 3.0f);  // symmetrised
}

TEST(DenseCrf, UnaryHelpers) {
  const TinyScene s = tiny_scene(12, 9, 4);
  const int64_t n = s.w * s.h;
  std::vector<float> logits(s.unary.size()), probs(s.unary.size());
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = -s.unary[i] + 7.0f;  // any per-pixel shift
  for (int64_t p = 0; p < n; ++p) {
    double z = 0;
    for (int64_t l = 0; l < s.labels; ++l) z += std::exp(-s.unary[l * n + p]);
    for (int64_t l = 0; l < s.labels; ++l) probs[l * n + p] = float(std::exp(-s.unary[l * n + p]) / z);
  }
  auto run = [&](auto set) {
    DenseCRF crf(s.w, s.h, s.labels);
    set(crf);
    crf.add_pairwise_gaussian(3, 3);
    return crf.inference(3);
  };
  const auto a = run([&](DenseCRF& c) { c.set_unary_energy(s.unary); });
  const auto b = run([&](DenseCRF& c) { c.set_unary_from_logits(logits); });
  const auto c = run([&](DenseCRF& c) { c.set_unary_from_probabilities(probs); });
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 1e-5);
    EXPECT_NEAR(a[i], c[i], 1e-4);
  }
  // Zero iterations: Q = softmax(-U), i.e. the probabilities.
  DenseCRF plain(s.w, s.h, s.labels);
  plain.set_unary_energy(s.unary);
  plain.add_pairwise_gaussian(3, 3);
  const auto q0 = plain.inference(0);
  for (size_t i = 0; i < q0.size(); ++i) EXPECT_NEAR(q0[i], probs[i], 1e-6);
}

TEST(DenseCrf, BadInput) {
  DenseCRF crf(4, 3, 2);
  std::vector<float> unary(2 * 3 * 4, 1.0f);
  unary[1 * 12 + 2 * 4 + 3] = std::nanf("");
  EXPECT_NE(test::error_of([&] { crf.set_unary_energy(unary); }).find("is nan at label 1, pixel (x 3, y 2)"),
            std::string::npos);
  unary.pop_back();
  EXPECT_NE(test::error_of([&] { crf.set_unary_energy(unary); }).find("expected [labels, height, width] = [2, 3, 4]"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { crf.add_pairwise_gaussian(0, 3); }).find("sxy must be positive"), std::string::npos);
  EXPECT_NE(test::error_of([&] { crf.add_pairwise_gaussian(3, Compatibility::diagonal({1, 2, 3})); })
                .find("3 weights for 2 labels"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { DenseCRF(0, 3, 2); }).find("at least 1x1"), std::string::npos);
}

}  // namespace
}  // namespace beyond::crf
