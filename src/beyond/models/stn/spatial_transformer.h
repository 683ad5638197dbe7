#pragma once
/// A Spatial Transformer (Jaderberg et al., "Spatial Transformer Networks", 2015): a localisation
/// network looks at the input and regresses transformation parameters θ; a grid generator maps the
/// output's pixel grid through θ (transform_grid.h, which also states the coordinate convention:
/// normalised [-1, 1], align_corners = false); a bilinear sampler reads the input there. Everything is
/// differentiable, so the module learns, from the downstream loss alone, to undo distortions or to zoom
/// into the part that matters.
///
/// The localisation net is "conv" (per entry of loc_channels: conv 5x5 + max-pool 2 + ReLU) or "mlp"
/// (flattened input), followed by fully connected loc_hidden layers with ReLU and a last linear layer
/// whose weights are zero and whose bias is the identity θ: a fresh transformer passes its input through
/// unchanged (resampled to output_size) and training starts from the plain backbone.
///
/// `count` > 1 gives parallel transformers that share the localisation body; the last layer regresses
/// count θ's and the count rectified images are concatenated on channels ([N, count C, H_out, W_out]).
/// The output size is independent of the input size, so a transformer may also downsample.
///
///   using namespace beyond::models;
///   SpatialTransformer st(SpatialTransformerOptions(1, {42, 42}, {28, 28}).transform(TransformKind::Affine));
///   auto rectified = st->forward(x);        // x [N,1,42,42] -> [N,1,28,28]
///   auto theta = st->theta(x);              // [N, count, 6]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "beyond/models/stn/transform_grid.h"

namespace beyond::models {

struct SpatialTransformerOptions {
  /// Channels and size {H, W} of the input; output size {H_out, W_out} of each rectified image.
  SpatialTransformerOptions(int64_t in_channels, std::vector<int64_t> input_size, std::vector<int64_t> output_size)
      : in_channels_(in_channels), input_size_(std::move(input_size)), output_size_(std::move(output_size)) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(std::vector<int64_t>, input_size);
  TORCH_ARG(std::vector<int64_t>, output_size);
  TORCH_ARG(TransformKind, transform) = TransformKind::Affine;
  /// "conv" or "mlp".
  TORCH_ARG(std::string, localisation) = "conv";
  /// Conv localisation: output channels of each conv 5x5 + max-pool 2 + ReLU stage.
  TORCH_ARG(std::vector<int64_t>, loc_channels) = std::vector<int64_t>{8, 16};
  /// Fully connected hidden layers (ReLU) before the θ regressor.
  TORCH_ARG(std::vector<int64_t>, loc_hidden) = std::vector<int64_t>{32};
  /// K of the thin-plate spline's K x K control grid.
  TORCH_ARG(int64_t, tps_grid) = 4;
  /// Parallel transformers (outputs concatenated on channels).
  TORCH_ARG(int64_t, count) = 1;
  /// Smallest |denominator| of the projective divide (see transform_grid.h).
  TORCH_ARG(double, projective_eps) = 1e-3;
};

class SpatialTransformerImpl : public torch::nn::Cloneable<SpatialTransformerImpl> {
 public:
  explicit SpatialTransformerImpl(SpatialTransformerOptions options);
  void reset() override;

  /// The rectified input [N, count C, H_out, W_out]. Error for an input that is not [N, C, H, W] with
  /// the configured C, H, W.
  torch::Tensor forward(const torch::Tensor& x);
  /// θ regressed by the localisation net: [N, count, P].
  torch::Tensor theta(const torch::Tensor& x);
  /// Samples x at the transforms θ ([N, count, P], or [N, P] when count = 1): [N, count C, H_out, W_out].
  torch::Tensor transform(const torch::Tensor& x, const torch::Tensor& theta) const;

  const GridGenerator& grid_generator() const { return generator_; }
  SpatialTransformerOptions options;

 private:
  void check_input(const torch::Tensor& x) const;
  GridGenerator generator_;
  torch::nn::ModuleList convs_{nullptr};
  torch::nn::ModuleList fcs_{nullptr};
  torch::nn::Linear head_{nullptr};
};

TORCH_MODULE(SpatialTransformer);

/// Samples images x [N, C, H, W] at `count` transforms per image, θ [N, count, P] (or [N, P] for count
/// 1), with `generator`'s family and output size: [N, count C, H_out, W_out]. This is
/// SpatialTransformer::transform for any input and output size (θ is in normalised coordinates).
torch::Tensor warp_images(const torch::Tensor& x, const torch::Tensor& theta, int64_t count,
                          const GridGenerator& generator);

}  // namespace beyond::models
