// The permutohedral lattice against exact Gaussian filtering, and its algebra (linearity, the
// reversed filter as the exact transpose, the scaling options).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

#include "beyond/crf/permutohedral_lattice.h"
#include "support/error_of.h"

namespace beyond::crf {
namespace {

/// Features of a w x h image: (x, y) / sxy, plus the colour / srgb for the bilateral case.
std::vector<float> image_features(int w, int h, float sxy, const std::vector<float>& colour, float srgb) {
  const int dim = colour.empty() ? 2 : 5;
  std::vector<float> f(static_cast<size_t>(w * h * dim));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int p = y * w + x;
      f[p * dim] = x / sxy;
      f[p * dim + 1] = y / sxy;
      for (int c = 0; c < dim - 2; ++c) f[p * dim + 2 + c] = colour[p * 3 + c] / srgb;
    }
  return f;
}

/// A piecewise-smooth colour image: two regions with a gradient and noise.
std::vector<float> test_colours(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 6);
  std::vector<float> c(static_cast<size_t>(w * h * 3));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        c[(y * w + x) * 3 + k] = (x + y < (w + h) / 2 ? 60.0f + 40 * k : 200.0f - 50 * k) + 2.0f * x + noise(rng);
  return c;
}

/// Exact sum_j exp(-|f_i - f_j|^2 / 2) v_j.
std::vector<double> brute_force(const std::vector<float>& f, int dim, const std::vector<float>& v, int V) {
  const size_t n = f.size() / dim;
  std::vector<double> out(n * V, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double d2 = 0;
      for (int k = 0; k < dim; ++k) d2 += double(f[i * dim + k] - f[j * dim + k]) * (f[i * dim + k] - f[j * dim + k]);
      const double w = std::exp(-0.5 * d2);
      for (int k = 0; k < V; ++k) out[i * V + k] += w * v[j * V + k];
    }
  return out;
}

struct Errors {
  double mean_relative = 0, max_abs = 0;
};

/// Normalised filtering (K v / K 1), lattice vs exact: the dense CRF's use of the filter.
Errors normalised_filter_error(const std::vector<float>& f, int dim, int V, uint32_t seed) {
  const int64_t n = static_cast<int64_t>(f.size()) / dim;
  // A signal with structure at the kernel's scale (noise alone would average to a constant).
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 0.2f);
  std::vector<float> v(n * V), ones(n, 1.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < V; ++k)
      v[i * V + k] = 1.0f + std::sin(1.3f * f[i * dim] + k) * std::cos(0.9f * f[i * dim + 1]) + u(rng);
  PermutohedralLattice lattice(f.data(), n, dim);
  std::vector<float> kv(n * V), k1(n);
  lattice.filter(v.data(), kv.data(), V);
  lattice.filter(ones.data(), k1.data(), 1);
  const auto exact_v = brute_force(f, dim, v, V);
  const auto exact_1 = brute_force(f, dim, std::vector<float>(ones.begin(), ones.end()), 1);
  Errors e;
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < V; ++k) {
      const double ours = kv[i * V + k] / k1[i], exact = exact_v[i * V + k] / exact_1[i];
      e.max_abs = std::max(e.max_abs, std::fabs(ours - exact));
      e.mean_relative += std::fabs(ours - exact) / std::fabs(exact);
    }
  e.mean_relative /= double(n * V);
  return e;
}

TEST(PermutohedralLattice, SpatialFilterMatchesExactGaussian) {
  const auto f = image_features(24, 20, 3.0f, {}, 1);
  const Errors e = normalised_filter_error(f, 2, 3, 1);
  std::cout << "2-D lattice vs exact (normalised): mean relative " << e.mean_relative << ", max abs " << e.max_abs << "\n";
  // Stated bound (measured 0.014 and 0.056 on this signal of range ~[0, 2.2]).
  EXPECT_LT(e.mean_relative, 0.03);
  EXPECT_LT(e.max_abs, 0.1);
}

TEST(PermutohedralLattice, BilateralFilterMatchesExactGaussian) {
  const int w = 24, h = 20;
  const auto f = image_features(w, h, 5.0f, test_colours(w, h, 2), 13.0f);
  const Errors e = normalised_filter_error(f, 5, 4, 3);
  std::cout << "5-D lattice vs exact (normalised): mean relative " << e.mean_relative << ", max abs " << e.max_abs << "\n";
  // Stated bound (measured 0.020 and 0.105): coarser in 5-D, where the simplex is relatively larger.
  EXPECT_LT(e.mean_relative, 0.04);
  EXPECT_LT(e.max_abs, 0.15);
}

TEST(PermutohedralLattice, ReverseFilterIsTheTranspose) {
  const int w = 17, h = 13, V = 3;
  const auto f = image_features(w, h, 2.0f, test_colours(w, h, 4), 10.0f);
  const int64_t n = w * h;
  PermutohedralLattice lattice(f.data(), n, 5);
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> a(n * V), b(n * V), ka(n * V), ktb(n * V), kb(n * V);
  for (auto& x : a) x = g(rng);
  for (auto& x : b) x = g(rng);
  lattice.filter(a.data(), ka.data(), V);
  PermutohedralLattice::FilterOptions reverse;
  reverse.reverse = true;
  lattice.filter(b.data(), ktb.data(), V, reverse);
  lattice.filter(b.data(), kb.data(), V);
  double lhs = 0, rhs = 0, scale = 0, asym = 0;
  for (int64_t i = 0; i < n * V; ++i) {
    lhs += double(b[i]) * ka[i];   // <b, K a>
    rhs += double(ktb[i]) * a[i];  // <K^T b, a>
    asym += double(kb[i]) * a[i];  // <K b, a>
    scale += std::fabs(double(b[i]) * ka[i]);
  }
  EXPECT_NEAR(lhs, rhs, 1e-5 * scale);
  // The forward filter alone is only nearly symmetric (the blur order differs), so the reversed one
  // is not a no-op: the test above could tell them apart.
  std::cout << "<b,Ka> - <Kb,a> = " << lhs - asym << " (scale " << scale << ")\n";
}

TEST(PermutohedralLattice, ScalingOptionsAndAliasing) {
  const int w = 15, h = 11, V = 2;
  const auto f = image_features(w, h, 3.0f, {}, 1);
  const int64_t n = w * h;
  PermutohedralLattice lattice(f.data(), n, 2);
  std::vector<float> v(n * V), s_in(n), s_out(n), plain(n * V), scaled_in(n * V);
  for (int64_t i = 0; i < n * V; ++i) v[i] = std::sin(0.3f * i);
  for (int64_t i = 0; i < n; ++i) {
    s_in[i] = 1.0f + 0.01f * i;
    s_out[i] = 2.0f - 0.005f * i;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < V; ++k) scaled_in[i * V + k] = v[i * V + k] * s_in[i];
  lattice.filter(scaled_in.data(), plain.data(), V);
  PermutohedralLattice::FilterOptions o;
  o.in_scale = s_in.data();
  o.out_scale = s_out.data();
  o.out_weight = 0.5f;
  o.accumulate = true;
  std::vector<float> out(n * V, 1.0f);
  lattice.filter(v.data(), out.data(), V, o);
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < V; ++k) EXPECT_NEAR(out[i * V + k], 1.0f + 0.5f * s_out[i] * plain[i * V + k], 1e-4);
  // In place.
  std::vector<float> in_place = scaled_in;
  lattice.filter(in_place.data(), in_place.data(), V);
  for (int64_t i = 0; i < n * V; ++i) EXPECT_FLOAT_EQ(in_place[i], plain[i]);
  EXPECT_GT(lattice.num_vertices(), 0);
}

TEST(PermutohedralLattice, SameFilterOnAnyNumberOfThreads) {
  // Threads split the points; vertices reached from several threads' points are splatted into
  // private rows and summed. The result must not depend on the split (up to float rounding).
  const int w = 41, h = 29, V = 5;
  const auto f = image_features(w, h, 4.0f, test_colours(w, h, 6), 12.0f);
  const int64_t n = w * h;
  PermutohedralLattice lattice(f.data(), n, 5);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> v(n * V), s(n);
  for (auto& x : v) x = u(rng);
  for (auto& x : s) x = 0.5f + u(rng);
  auto run = [&](int threads, bool reverse) {
    PermutohedralLattice::FilterOptions o;
    o.threads = threads;
    o.reverse = reverse;
    o.in_scale = s.data();
    o.out_scale = s.data();
    std::vector<float> out(n * V);
    lattice.filter(v.data(), out.data(), V, o);
    return out;
  };
  EXPECT_GT(lattice.plan(3).num_shared(), 0);  // the split does create shared vertices
  for (bool reverse : {false, true}) {
    const auto one = run(1, reverse);
    for (int threads : {2, 3, 7}) {
      const auto many = run(threads, reverse);
      double max_rel = 0;
      for (int64_t i = 0; i < n * V; ++i) max_rel = std::max(max_rel, std::fabs(double(many[i]) - one[i]) / std::fabs(one[i]));
      EXPECT_LT(max_rel, 1e-5) << threads << " threads, reverse " << reverse;
    }
    // Called from inside a parallel region, the nested region has one thread, which then does the
    // work of all the plan's slots.
    std::vector<float> nested;
#pragma omp parallel num_threads(2)
    {
#pragma omp single
      nested = run(3, reverse);
    }
    const auto three = run(3, reverse);
    for (int64_t i = 0; i < n * V; ++i) ASSERT_FLOAT_EQ(nested[i], three[i]);
  }
}

TEST(PermutohedralLattice, AnyValueWidth) {
  // Widths with a fixed-width kernel (1, 4, 8, 16, 24, 32) and without (3, 13, 40): the same
  // filter per column as filtering that column alone.
  const int w = 13, h = 11;
  const auto f = image_features(w, h, 2.0f, {}, 1);
  const int64_t n = w * h;
  PermutohedralLattice lattice(f.data(), n, 2);
  for (int V : {3, 8, 13, 24, 40}) {
    std::vector<float> v(n * V), out(n * V);
    for (int64_t i = 0; i < n * V; ++i) v[i] = std::cos(0.37f * i);
    lattice.filter(v.data(), out.data(), V);
    for (int c : {0, V - 1}) {
      std::vector<float> column(n), filtered(n);
      for (int64_t i = 0; i < n; ++i) column[i] = v[i * V + c];
      lattice.filter(column.data(), filtered.data(), 1);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(out[i * V + c], filtered[i], 1e-5) << "V " << V << " column " << c;
    }
  }
}

TEST(PermutohedralLattice, RejectsBadFeatures) {
  std::vector<float> f = {0, 0, 1, std::nanf("")};
  EXPECT_NE(test::error_of([&] { PermutohedralLattice(f.data(), 2, 2); }).find("feature 1 of point 1 is nan"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { PermutohedralLattice(f.data(), 1, 17); }).find("dimension must be in [1, 16]"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::crf
