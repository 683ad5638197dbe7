#pragma once
/// The `distortions` generator: Fashion-MNIST items distorted the ways the Spatial Transformer paper
/// distorts MNIST (Jaderberg et al. 2015, section 4.1), for learning and measuring geometric invariance.
///
///   r          rotation by an angle uniform in [-90, 90] degrees about the centre; 28 x 28
///   rts        rotation in [-45, 45] degrees, isotropic scale in [0.7, 1.2], then placed at a random
///              position of a 42 x 42 canvas (uniform, keeping the scaled 28 x 28 square inside); 42 x 42
///   p          projective: the image scaled by 0.75 about its centre, then each of its four corners moved by
///              a Gaussian offset (std projective_std pixels per axis, clipped at 2 std); 28 x 28
///   e          elastic (Simard et al. 2003): a displacement field uniform in [-1, 1] per pixel and axis,
///              smoothed by a Gaussian of std elastic_sigma pixels and scaled by elastic_alpha; 28 x 28
///   cluttered  the item at a random integer position of a 60 x 60 canvas, over clutter_pieces fragments
///              of clutter_piece_size x clutter_piece_size pixels cropped at random from other images of the
///              source set and pasted at random positions (pixel-wise maximum); 60 x 60
///
/// Sampling is bilinear with zero (black) outside the source, as the dataset's background is black.
///
/// Determinism: item i is drawn from its own generator seeded by (seed, stream, first_index + i), so an
/// item's distortion does not depend on the batch it is in nor on the thread count; a fixed set uses
/// one stream per split, and fresh distortions for augmentation use another stream and ever-growing
/// indices. (For `cluttered` the fragments also depend on the source set the caller passes.)
///
///   using namespace beyond::data;
///   auto opts = DistortionOptions(parse_distortion("rts")).seed(1);
///   torch::Tensor x = distort(images, opts, /*stream=*/0, /*first_index=*/0);   // [N,1,28,28] -> [N,1,42,42]
#include <cstdint>
#include <string>

#include <torch/arg.h>
#include <torch/types.h>

namespace beyond::data {

enum class DistortionKind { Rotation, RotationScaleTranslation, Projective, Elastic, Cluttered };

/// "r", "rts", "p", "e" or "cluttered"; UsageError naming the known ones otherwise.
DistortionKind parse_distortion(const std::string& name);
std::string distortion_name(DistortionKind kind);
/// Side of the square output: 28, 42 (rts) or 60 (cluttered).
int64_t distortion_canvas(DistortionKind kind);

struct DistortionOptions {
  explicit DistortionOptions(DistortionKind kind = DistortionKind::Rotation) : kind_(kind) {}
  TORCH_ARG(DistortionKind, kind);
  TORCH_ARG(uint64_t, seed) = 0;
  /// p: std of the corner offsets in pixels.
  TORCH_ARG(double, projective_std) = 4.0;
  /// e: strength and smoothness (pixels) of the displacement field.
  TORCH_ARG(double, elastic_alpha) = 34.0;
  TORCH_ARG(double, elastic_sigma) = 4.0;
  /// cluttered: number and side of the distractor fragments.
  TORCH_ARG(int64_t, clutter_pieces) = 6;
  TORCH_ARG(int64_t, clutter_piece_size) = 8;
};

/// Distorts `images` (float [N, 1, 28, 28] in [0, 1]) into float [N, 1, S, S], S = distortion_canvas(kind).
/// `clutter_source` ([M, 1, 28, 28], default: `images`) supplies the fragments of `cluttered`. Runs over
/// items with at::parallel_for (same result for any thread count).
torch::Tensor distort(const torch::Tensor& images, const DistortionOptions& options, uint64_t stream,
                      int64_t first_index, const torch::Tensor& clutter_source = {});

}  // namespace beyond::data
