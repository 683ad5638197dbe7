#pragma once
/// The transformation families of a Spatial Transformer (Jaderberg et al., 2015) and their grid
/// generators: θ (one row of parameters per image) -> a sampling grid [N, H_out, W_out, 2] of source
/// coordinates, which `sample_bilinear` reads the input at.
///
/// Coordinate convention (the whole module uses it): normalised coordinates in [-1, 1] with
/// align_corners = false, as torch::nn::functional::affine_grid / grid_sample define it: -1 and +1 are
/// the outer *edges* of the first and last pixels, so pixel j of a row of W pixels has its centre at
/// x_j = (2 j + 1) / W - 1. Hence the identity transform with H_out = H_in, W_out = W_in samples every
/// pixel centre exactly and returns the input unchanged, and an output of another size is a resampling
/// of the same field of view (an ST can downsample). Points outside the input read zeros (padding
/// "zeros"). x is the column (width) axis, y the row axis.
///
/// Families (P = parameters per transformer; θ maps output coordinates to source coordinates):
///   affine      P = 6   [a b c; d e f]: (x_s, y_s) = (a x + b y + c, d x + e y + f)
///   attention   P = 3   [s, t_x, t_y]: isotropic scale and translation (the paper's "attention")
///   rts         P = 4   [angle (radians), s, t_x, t_y]: s R(angle) (x, y) + t
///   projective  P = 8   [a b c; d e f; g h] with the 9th entry 1: (u, v, w) = H (x, y, 1),
///                       (x_s, y_s) = (u / w, v / w). Own grid (affine_grid has no divide). A singular
///                       or degenerate H makes w vanish; the denominator is clamped to
///                       sign(w) * max(|w|, eps) (sign(0) = +1), and the source coordinates are clamped to
///                       [-3, 3] -- beyond |x| > 1 + 1/W bilinear sampling already reads only padding, so
///                       the clamp changes no output and no gradient there. Finite θ therefore always
///                       gives a finite grid, never NaN or inf.
///   tps         P = 2 K^2  thin-plate spline through a K x K grid of control points placed uniformly
///                       on [-1, 1]^2 of the output; θ holds the source positions of the control points
///                       (x, y interleaved, row-major over the control grid). Kernel U(r) = r^2 log r^2
///                       (U(0) = 0). The spline's linear system is solved once at construction, so the
///                       grid is one matrix product: grid = M θ with M [H_out W_out, K^2] fixed.
///
///   beyond::models::GridGenerator gen(beyond::models::TransformKind::Projective, 28, 28);
///   auto theta = gen.identity().unsqueeze(0);              // [1, 8]
///   auto out = beyond::models::sample_bilinear(images, gen.grid(theta));   // == images
#include <cstdint>
#include <string>

#include <torch/types.h>

namespace beyond::models {

enum class TransformKind { Affine, Attention, RotationScaleTranslation, Projective, ThinPlateSpline };

/// "affine", "attention", "rts", "projective" or "tps"; UsageError naming the known ones otherwise.
TransformKind parse_transform_kind(const std::string& name);
std::string transform_kind_name(TransformKind kind);

/// Parameters per transformer: 6, 3, 4, 8, or 2 tps_grid^2.
int64_t transform_parameter_count(TransformKind kind, int64_t tps_grid = 4);

/// Builds sampling grids of one family for one output size. Cheap to copy; the thin-plate spline's
/// solved system is computed once in the constructor (float64) and cast to θ's dtype on use.
class GridGenerator {
 public:
  /// Error for out_h or out_w < 1, or tps_grid < 2 for the thin-plate spline.
  GridGenerator(TransformKind kind, int64_t out_h, int64_t out_w, int64_t tps_grid = 4,
                double projective_eps = 1e-3);

  /// θ of the identity transform: float64 [P].
  torch::Tensor identity() const;
  /// θ [N, P] (floating point) -> grid [N, H_out, W_out, 2] (x, y) in θ's dtype, differentiable in θ.
  /// Error naming the expected shape for any other θ.
  torch::Tensor grid(const torch::Tensor& theta) const;
  /// The affine matrices [N, 2, 3] of the affine, attention and rts families (error for the others).
  torch::Tensor affine_matrix(const torch::Tensor& theta) const;

  TransformKind kind() const { return kind_; }
  int64_t parameter_count() const { return transform_parameter_count(kind_, tps_grid_); }
  int64_t out_h() const { return out_h_; }
  int64_t out_w() const { return out_w_; }

 private:
  torch::Tensor projective_grid(const torch::Tensor& theta) const;
  TransformKind kind_;
  int64_t out_h_, out_w_, tps_grid_;
  double projective_eps_;
  torch::Tensor base_;      ///< float64 [H_out W_out, 3]: (x, y, 1) of every output pixel centre
  torch::Tensor tps_map_;   ///< float64 [H_out W_out, K^2]: grid = tps_map_ @ control points
};

/// Bilinear sampling of `input` [N, C, H, W] at `grid` [N, H_out, W_out, 2] with align_corners = false
/// and zero padding (grid_sample): [N, C, H_out, W_out].
torch::Tensor sample_bilinear(const torch::Tensor& input, const torch::Tensor& grid);

/// The thin-plate spline kernel U(r) = r^2 log r^2 of squared distances d2 (0 where d2 = 0).
torch::Tensor tps_kernel(const torch::Tensor& d2);

}  // namespace beyond::models
