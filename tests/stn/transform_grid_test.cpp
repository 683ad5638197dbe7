// Grid generators and the bilinear sampler of the spatial transformer: the identity, known transforms
// against their formulas, float64 gradient checks, the singular projective case and bad arguments.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "beyond/models/stn/transform_grid.h"
#include "support/gradcheck.h"
#include "support/helpers.h"

namespace beyond::models {
namespace {

const std::vector<TransformKind> kAllKinds = {TransformKind::Affine, TransformKind::Attention,
                                              TransformKind::RotationScaleTranslation, TransformKind::Projective,
                                              TransformKind::ThinPlateSpline};

TEST(TransformGrid, IdentityThetaReturnsTheInputForEveryFamily) {
  // align_corners = false: with the same output size the identity grid hits every pixel centre exactly.
  torch::manual_seed(0);
  auto x = torch::rand({2, 3, 7, 9}, torch::kFloat64);
  for (auto kind : kAllKinds) {
    GridGenerator gen(kind, 7, 9, 3);
    auto theta = gen.identity().unsqueeze(0).repeat({2, 1});
    auto out = sample_bilinear(x, gen.grid(theta));
    EXPECT_TRUE(torch::allclose(out, x, 1e-9, 1e-9)) << transform_kind_name(kind);
  }
}

TEST(TransformGrid, PixelCentresFollowTheAlignCornersFalseConvention) {
  GridGenerator gen(TransformKind::Projective, 2, 4);
  auto g = gen.grid(gen.identity().unsqueeze(0));
  // Column j of 4 has its centre at (2j + 1) / 4 - 1; row i of 2 at (2i + 1) / 2 - 1.
  EXPECT_DOUBLE_EQ(g[0][0][0][0].item<double>(), -0.75);
  EXPECT_DOUBLE_EQ(g[0][0][3][0].item<double>(), 0.75);
  EXPECT_DOUBLE_EQ(g[0][1][2][0].item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(g[0][0][1][1].item<double>(), -0.5);
  EXPECT_DOUBLE_EQ(g[0][1][1][1].item<double>(), 0.5);
}

TEST(TransformGrid, RotationScaleTranslationGridFollowsItsFormula) {
  const double a = 0.7, s = 0.8, tx = 0.1, ty = -0.2;
  GridGenerator gen(TransformKind::RotationScaleTranslation, 5, 6);
  auto g = gen.grid(torch::tensor({{a, s, tx, ty}}, torch::kFloat64));
  for (int64_t i : {0, 2, 4})
    for (int64_t j : {0, 3, 5}) {
      const double x = (2.0 * j + 1) / 6 - 1, y = (2.0 * i + 1) / 5 - 1;
      EXPECT_NEAR(g[0][i][j][0].item<double>(), s * (std::cos(a) * x - std::sin(a) * y) + tx, 1e-12);
      EXPECT_NEAR(g[0][i][j][1].item<double>(), s * (std::sin(a) * x + std::cos(a) * y) + ty, 1e-12);
    }
}

TEST(TransformGrid, QuarterTurnMovesAKnownPixelWhereTheFormulaSays) {
  // angle pi/2: output (x, y) reads source (-y, x), so output pixel (i, j) of an n x n image shows source
  // pixel (row j, column n-1-i).
  const int64_t n = 6;
  auto x = torch::zeros({1, 1, n, n}, torch::kFloat64);
  x[0][0][1][4] = 1.0;  // row 1, column 4
  GridGenerator gen(TransformKind::RotationScaleTranslation, n, n);
  auto out = sample_bilinear(x, gen.grid(torch::tensor({{M_PI / 2, 1.0, 0.0, 0.0}}, torch::kFloat64)));
  // i = n-1-4 = 1, j = 1.
  EXPECT_NEAR(out[0][0][1][1].item<double>(), 1.0, 1e-9);
  EXPECT_NEAR(out.sum().item<double>(), 1.0, 1e-9);
}

TEST(TransformGrid, AttentionIsAScaledShiftedAffine) {
  GridGenerator attention(TransformKind::Attention, 4, 5), affine(TransformKind::Affine, 4, 5);
  auto a = attention.grid(torch::tensor({{0.5, 0.2, -0.3}}, torch::kFloat64));
  auto b = affine.grid(torch::tensor({{0.5, 0.0, 0.2, 0.0, 0.5, -0.3}}, torch::kFloat64));
  EXPECT_TRUE(torch::allclose(a, b, 1e-12, 1e-12));
}

TEST(TransformGrid, ProjectiveWithoutPerspectiveRowEqualsAffineGrid) {
  // Our own projective grid and LibTorch's affine_grid agree where they describe the same map.
  auto p = torch::tensor({{0.9, 0.2, 0.1, -0.3, 1.1, 0.05, 0.0, 0.0}}, torch::kFloat64);
  GridGenerator projective(TransformKind::Projective, 5, 7), affine(TransformKind::Affine, 5, 7);
  EXPECT_TRUE(torch::allclose(projective.grid(p), affine.grid(p.slice(1, 0, 6)), 1e-12, 1e-12));
}

TEST(TransformGrid, ProjectiveDividesByTheHomogeneousCoordinate) {
  const double g = 0.3, h = -0.2;
  GridGenerator gen(TransformKind::Projective, 3, 3);
  auto grid = gen.grid(torch::tensor({{1.0, 0.0, 0.1, 0.0, 1.0, 0.0, g, h}}, torch::kFloat64));
  const double x = 2.0 / 3, y = -2.0 / 3;  // column 2, row 0 of 3: (2 j + 1) / 3 - 1
  const double w = g * x + h * y + 1;
  EXPECT_NEAR(grid[0][0][2][0].item<double>(), (x + 0.1) / w, 1e-12);
  EXPECT_NEAR(grid[0][0][2][1].item<double>(), y / w, 1e-12);
}

TEST(TransformGrid, ThinPlateSplineReproducesAnAffineMapOfItsControlPoints) {
  // Moving every control point by one affine map makes the spline that affine map (no bending).
  GridGenerator tps(TransformKind::ThinPlateSpline, 6, 5, 3), affine(TransformKind::Affine, 6, 5);
  auto c = tps.identity().view({-1, 2});
  auto m = torch::tensor({{0.8, 0.3, 0.1}, {-0.2, 1.1, -0.05}}, torch::kFloat64);
  auto moved = torch::matmul(c, m.slice(1, 0, 2).t()) + m.select(1, 2);
  EXPECT_TRUE(torch::allclose(tps.grid(moved.reshape({1, -1})), affine.grid(m.reshape({1, 6})), 1e-9, 1e-9));
}

TEST(TransformGrid, ThinPlateSplineInterpolatesItsControlPoints) {
  // The centre pixel of a 9 x 9 output sits at (0, 0), the centre control point of the 3 x 3 grid: it goes
  // exactly where that control point is moved; a pixel next to a fixed corner control point barely moves.
  GridGenerator tps(TransformKind::ThinPlateSpline, 9, 9, 3);
  auto theta = tps.identity().clone();
  theta[8] = theta[8].item<double>() + 0.2;  // x of control point 4 (the centre)
  auto moved = tps.grid(theta.unsqueeze(0)) - tps.grid(tps.identity().unsqueeze(0));
  EXPECT_NEAR(moved[0][4][4][0].item<double>(), 0.2, 1e-9);
  EXPECT_NEAR(moved[0][4][4][1].item<double>(), 0.0, 1e-9);
  EXPECT_LT(std::abs(moved[0][0][0][0].item<double>()), 0.05);
  EXPECT_DOUBLE_EQ(tps_kernel(torch::tensor({0.0}, torch::kFloat64)).item<double>(), 0.0);
  EXPECT_NEAR(tps_kernel(torch::tensor({4.0}, torch::kFloat64)).item<double>(), 4 * std::log(4.0), 1e-12);
}

TEST(TransformGrid, ProjectiveSamplerPassesGradcheckInFloat64) {
  torch::manual_seed(1);
  GridGenerator gen(TransformKind::Projective, 4, 5);
  auto x = torch::rand({2, 2, 6, 6}, torch::kFloat64);
  auto theta = gen.identity().unsqueeze(0).repeat({2, 1}) + 0.1 * torch::randn({2, 8}, torch::kFloat64);
  auto grid_only = [&](const std::vector<torch::Tensor>& in) { return gen.grid(in[0]); };
  EXPECT_LT(test::max_gradient_error(grid_only, {theta}), 1e-7);
  auto sampled = [&](const std::vector<torch::Tensor>& in) { return sample_bilinear(in[0], gen.grid(in[1])); };
  EXPECT_LT(test::max_gradient_error(sampled, {x, theta}), 1e-5);
}

TEST(TransformGrid, ThinPlateSplineSamplerPassesGradcheckInFloat64) {
  torch::manual_seed(2);
  GridGenerator gen(TransformKind::ThinPlateSpline, 5, 4, 3);
  auto x = torch::rand({2, 1, 6, 5}, torch::kFloat64);
  auto theta = gen.identity().unsqueeze(0).repeat({2, 1}) + 0.1 * torch::randn({2, 18}, torch::kFloat64);
  auto grid_only = [&](const std::vector<torch::Tensor>& in) { return gen.grid(in[0]); };
  EXPECT_LT(test::max_gradient_error(grid_only, {theta}), 1e-7);
  auto sampled = [&](const std::vector<torch::Tensor>& in) { return sample_bilinear(in[0], gen.grid(in[1])); };
  EXPECT_LT(test::max_gradient_error(sampled, {x, theta}), 1e-5);
}

TEST(TransformGrid, SingularProjectiveGivesFiniteOutputAndGradients) {
  // w = 1 - 4 x vanishes exactly at x = 0.25, the centre of column 2 of 4; and an all-zero H maps every
  // point to one.
  GridGenerator gen(TransformKind::Projective, 4, 4);
  auto x = torch::rand({2, 1, 4, 4}, torch::kFloat64);
  auto theta = torch::tensor({{1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -4.0, 0.0}, {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
                             torch::kFloat64)
                   .set_requires_grad(true);
  auto grid = gen.grid(theta);
  EXPECT_TRUE(torch::isfinite(grid).all().item<bool>());
  EXPECT_LE(grid.abs().max().item<double>(), 3.0);
  auto out = sample_bilinear(x, grid);
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  out.sum().backward();
  EXPECT_TRUE(torch::isfinite(theta.grad()).all().item<bool>());
  // The zero matrix reads the input's centre everywhere: a constant image.
  EXPECT_NEAR((out[1] - out[1].mean()).abs().max().item<double>(), 0.0, 1e-12);
}

TEST(TransformGrid, BadArgumentsAreRejectedWithAMessage) {
  EXPECT_NE(test::error_of([] { GridGenerator(TransformKind::Affine, 0, 5); }).find("output size must be positive"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { GridGenerator(TransformKind::ThinPlateSpline, 4, 4, 1); }).find("at least 2x2"),
            std::string::npos);
  GridGenerator gen(TransformKind::Projective, 3, 3);
  const auto msg = test::error_of([&] { gen.grid(torch::zeros({2, 6})); });
  EXPECT_NE(msg.find("expected theta of shape [N, 8] for the projective transform"), std::string::npos) << msg;
  EXPECT_NE(test::error_of([&] { gen.grid(torch::zeros({2, 8}, torch::kLong)); }).find("floating point"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { parse_transform_kind("similarity"); }).find("known: affine"), std::string::npos);
  EXPECT_NE(test::error_of([&] { sample_bilinear(torch::zeros({3, 3}), gen.grid(torch::zeros({1, 8}))); })
                .find("[N, C, H, W]"),
            std::string::npos);
}

TEST(TransformGrid, OutputSizeIsIndependentOfTheInputSize) {
  GridGenerator gen(TransformKind::Affine, 5, 3);
  auto out = sample_bilinear(torch::rand({2, 4, 17, 11}), gen.grid(gen.identity().to(torch::kFloat32).repeat({2, 1})));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 4, 5, 3}));
  EXPECT_EQ(transform_parameter_count(TransformKind::ThinPlateSpline, 4), 32);
}

}  // namespace
}  // namespace beyond::models
