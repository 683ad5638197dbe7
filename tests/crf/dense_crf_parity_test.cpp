// beyond's dense CRF against Krähenbühl & Koltun's densecrf (the code pydensecrf wraps), on the
// shared fixture: same image, unary and model, compare the marginals after 10 iterations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "beyond/crf/dense_crf.h"
#include "crf/densecrf_fixture.h"

namespace beyond::crf {
namespace {

TEST(DenseCrfParity, MatchesDensecrfOnTheFixture) {
  const auto fx = test::load_densecrf_fixture();
  using F = test::DenseCrfFixture;
  constexpr int64_t n = F::kWidth * F::kHeight;
  DenseCRF crf(F::kWidth, F::kHeight, F::kLabels);
  crf.set_unary_energy(fx.unary);
  crf.add_pairwise_gaussian(3, 3, DIAG_KERNEL, NORMALIZE_SYMMETRIC);
  crf.add_pairwise_bilateral(80, 13, fx.rgb.data(), 10, DIAG_KERNEL, NORMALIZE_SYMMETRIC);
  const std::vector<float> q = crf.inference(10);
  ASSERT_EQ(q.size(), fx.reference.size());
  double max_abs = 0;
  for (size_t i = 0; i < q.size(); ++i) max_abs = std::max(max_abs, double(std::fabs(q[i] - fx.reference[i])));
  const auto ours = map_labels(q, F::kLabels, n), theirs = map_labels(fx.reference, F::kLabels, n);
  int64_t agree = 0;
  for (int64_t p = 0; p < n; ++p) agree += ours[p] == theirs[p];
  const double agreement = double(agree) / n;
  std::cout << "densecrf parity: MAP agreement " << agree << "/" << n << " = " << agreement
            << ", marginals max abs diff " << max_abs << "\n";
  EXPECT_GE(agreement, 0.999);
  EXPECT_LE(max_abs, 1e-3);
  // Not trivially equal to the unary's argmax: the CRF changed labels, and we changed the same ones.
  std::vector<float> q0(fx.unary.size());
  for (size_t i = 0; i < q0.size(); ++i) q0[i] = -fx.unary[i];
  const auto before = map_labels(q0, F::kLabels, n);
  int64_t changed = 0;
  for (int64_t p = 0; p < n; ++p) changed += before[p] != theirs[p];
  std::cout << "densecrf parity: the reference changes " << changed << " labels of the unary's argmax\n";
  EXPECT_GT(changed, 0);
}

TEST(DenseCrfParity, OptionsDefaultIsTheFixtureModel) {
  const auto fx = test::load_densecrf_fixture();
  using F = test::DenseCrfFixture;
  const auto q = dense_crf(fx.unary, fx.rgb.data(), F::kWidth, F::kHeight, F::kLabels);
  double max_abs = 0;
  for (size_t i = 0; i < q.size(); ++i) max_abs = std::max(max_abs, double(std::fabs(q[i] - fx.reference[i])));
  EXPECT_LE(max_abs, 1e-3);
}

}  // namespace
}  // namespace beyond::crf
