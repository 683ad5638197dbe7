#include "beyond/models/stn/transform_grid.h"

#include <torch/torch.h>

#include <vector>

#include "beyond/core/error.h"

namespace beyond::models {

namespace F = torch::nn::functional;

namespace {

const std::vector<std::pair<std::string, TransformKind>>& kind_names() {
  static const std::vector<std::pair<std::string, TransformKind>> names = {
      {"affine", TransformKind::Affine},
      {"attention", TransformKind::Attention},
      {"rts", TransformKind::RotationScaleTranslation},
      {"projective", TransformKind::Projective},
      {"tps", TransformKind::ThinPlateSpline}};
  return names;
}

/// Pixel-centre coordinates of n pixels in [-1, 1], align_corners = false: (2 j + 1) / n - 1.
torch::Tensor centres(int64_t n) {
  return (2 * torch::arange(n, torch::kFloat64) + 1) / static_cast<double>(n) - 1;
}

/// (x, y) of a K x K control grid on [-1, 1]^2, row-major (y outer): float64 [K^2, 2].
torch::Tensor control_points(int64_t k) {
  auto t = torch::linspace(-1, 1, k, torch::kFloat64);
  auto yx = torch::meshgrid({t, t}, "ij");
  return torch::stack({yx[1].reshape(-1), yx[0].reshape(-1)}, 1);
}

torch::Tensor squared_distances(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.unsqueeze(1) - b.unsqueeze(0)).pow(2).sum(-1);
}

}  // namespace

TransformKind parse_transform_kind(const std::string& name) {
  std::string known;
  for (const auto& [n, k] : kind_names()) {
    if (n == name) return k;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw UsageError(str("unknown spatial transform '", name, "'; known: ", known));
}

std::string transform_kind_name(TransformKind kind) {
  for (const auto& [n, k] : kind_names())
    if (k == kind) return n;
  return "?";
}

int64_t transform_parameter_count(TransformKind kind, int64_t tps_grid) {
  switch (kind) {
    case TransformKind::Affine: return 6;
    case TransformKind::Attention: return 3;
    case TransformKind::RotationScaleTranslation: return 4;
    case TransformKind::Projective: return 8;
    case TransformKind::ThinPlateSpline: return 2 * tps_grid * tps_grid;
  }
  return 0;
}

torch::Tensor tps_kernel(const torch::Tensor& d2) {
  // r^2 log r^2, continuous at 0 (the limit is 0); clamping inside the log keeps it finite there.
  return torch::where(d2 > 0, d2 * torch::log(d2.clamp_min(1e-300)), torch::zeros_like(d2));
}

GridGenerator::GridGenerator(TransformKind kind, int64_t out_h, int64_t out_w, int64_t tps_grid, double projective_eps)
    : kind_(kind), out_h_(out_h), out_w_(out_w), tps_grid_(tps_grid), projective_eps_(projective_eps) {
  BEYOND_CHECK(out_h > 0 && out_w > 0, "spatial transformer: the output size must be positive, got ", out_h, "x",
               out_w, " (height x width); set output_size to at least 1x1");
  BEYOND_CHECK(kind != TransformKind::ThinPlateSpline || tps_grid >= 2,
               "spatial transformer: the thin-plate spline needs a control grid of at least 2x2, got tps_grid=",
               tps_grid);
  BEYOND_CHECK(projective_eps > 0, "spatial transformer: projective_eps must be positive, got ", projective_eps);
  auto yx = torch::meshgrid({centres(out_h), centres(out_w)}, "ij");
  base_ = torch::stack({yx[1].reshape(-1), yx[0].reshape(-1), torch::ones({out_h * out_w}, torch::kFloat64)}, 1);
  if (kind == TransformKind::ThinPlateSpline) {
    // Solve [[U(|c_i - c_j|), P], [P^T, 0]] [w; a] = [y; 0] once: the spline through the control points is
    // linear in their source positions y, so every grid point is a fixed combination of them.
    const auto c = control_points(tps_grid);
    const int64_t n = c.size(0);
    auto p = torch::cat({torch::ones({n, 1}, torch::kFloat64), c}, 1);
    auto top = torch::cat({tps_kernel(squared_distances(c, c)), p}, 1);
    auto bottom = torch::cat({p.t(), torch::zeros({3, 3}, torch::kFloat64)}, 1);
    auto l_inv = torch::linalg::inv(torch::cat({top, bottom}, 0));
    auto g = base_.slice(1, 0, 2);
    auto basis = torch::cat({tps_kernel(squared_distances(g, c)), torch::ones({g.size(0), 1}, torch::kFloat64), g}, 1);
    tps_map_ = torch::matmul(basis, l_inv.slice(1, 0, n));
  }
}

torch::Tensor GridGenerator::identity() const {
  switch (kind_) {
    case TransformKind::Affine: return torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, torch::kFloat64);
    case TransformKind::Attention: return torch::tensor({1.0, 0.0, 0.0}, torch::kFloat64);
    case TransformKind::RotationScaleTranslation: return torch::tensor({0.0, 1.0, 0.0, 0.0}, torch::kFloat64);
    case TransformKind::Projective:
      return torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0}, torch::kFloat64);
    case TransformKind::ThinPlateSpline: return control_points(tps_grid_).reshape(-1);
  }
  return {};
}

torch::Tensor GridGenerator::affine_matrix(const torch::Tensor& theta) const {
  const int64_t n = theta.size(0);
  auto col = [&](int64_t i) { return theta.select(1, i); };
  switch (kind_) {
    case TransformKind::Affine: return theta.view({n, 2, 3});
    case TransformKind::Attention: {
      auto z = torch::zeros_like(col(0));
      return torch::stack({col(0), z, col(1), z, col(0), col(2)}, 1).view({n, 2, 3});
    }
    case TransformKind::RotationScaleTranslation: {
      auto c = col(1) * torch::cos(col(0)), s = col(1) * torch::sin(col(0));
      return torch::stack({c, -s, col(2), s, c, col(3)}, 1).view({n, 2, 3});
    }
    default: break;
  }
  BEYOND_CHECK(false, "spatial transformer: the ", transform_kind_name(kind_), " transform has no affine matrix");
  return {};
}

torch::Tensor GridGenerator::projective_grid(const torch::Tensor& theta) const {
  const int64_t n = theta.size(0);
  auto h = torch::cat({theta, torch::ones({n, 1}, theta.options())}, 1).view({n, 3, 3});
  auto src = torch::matmul(base_.to(theta.options()), h.transpose(1, 2));  // [N, HW, 3]
  auto w = src.select(2, 2);
  auto sign = torch::where(w >= 0, torch::ones_like(w), -torch::ones_like(w));
  auto w_safe = (sign * w.abs().clamp_min(projective_eps_)).unsqueeze(2);
  return (src.slice(2, 0, 2) / w_safe).clamp(-3.0, 3.0).view({n, out_h_, out_w_, 2});
}

torch::Tensor GridGenerator::grid(const torch::Tensor& theta) const {
  const int64_t p = parameter_count();
  BEYOND_CHECK(theta.defined() && theta.dim() == 2 && theta.size(1) == p,
               "spatial transformer: expected theta of shape [N, ", p, "] for the ", transform_kind_name(kind_),
               " transform, got ", theta.defined() ? theta.sizes() : torch::IntArrayRef{});
  BEYOND_CHECK(theta.is_floating_point(), "spatial transformer: expected theta to have floating point type, but got ",
               theta.scalar_type());
  const int64_t n = theta.size(0);
  switch (kind_) {
    case TransformKind::Projective: return projective_grid(theta);
    case TransformKind::ThinPlateSpline:
      return torch::matmul(tps_map_.to(theta.options()), theta.view({n, -1, 2})).view({n, out_h_, out_w_, 2});
    default:
      return F::affine_grid(affine_matrix(theta), {n, 1, out_h_, out_w_}, /*align_corners=*/false);
  }
}

torch::Tensor sample_bilinear(const torch::Tensor& input, const torch::Tensor& grid) {
  BEYOND_CHECK(input.dim() == 4, "spatial transformer: expected input of shape [N, C, H, W], got ", input.sizes());
  BEYOND_CHECK(grid.dim() == 4 && grid.size(3) == 2 && grid.size(0) == input.size(0),
               "spatial transformer: expected a grid of shape [", input.size(0), ", H_out, W_out, 2], got ",
               grid.sizes());
  return F::grid_sample(input, grid.to(input.scalar_type()),
                        F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
}

}  // namespace beyond::models
