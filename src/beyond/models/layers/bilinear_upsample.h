#pragma once
/// Learnable upsampling as FCN does it (Long, Shelhamer & Darrell 2015): a transposed convolution with
/// stride f whose weight starts as bilinear interpolation, applied to each channel on its own (the
/// weight is [C, C, K, K] with the kernel on the diagonal and zeros elsewhere, so training may later
/// mix channels). Without bias, as in FCN.
///
///   beyond::models::BilinearUpsample up(beyond::models::BilinearUpsampleOptions(21, 2));   // K = 4
///   auto y = up(x);                          // [N, 21, 2 * (h + 1), 2 * (w + 1)], not yet cropped
///   auto aligned = beyond::models::crop_spatial(y, offset, h2, w2);
///
/// Geometry. Output index o of the transposed convolution receives input i with weight
/// 1 - |o - f*i - c| / f, c = (K - 1) / 2: input cell i lands on output index f*i + (K - 1) / 2.
/// Which output cells then line up with the finer grid a skip connection comes from, or with the
/// image, depends on where each grid's cells sit in the image; `alignment_offset` turns that into
/// the integer crop (see there). K = 2f (FCN's) puts the peak between two output cells, which is
/// right for grids made by 2x2 pooling; grids made by padded stride-2 convolutions (ResNet) put cells
/// on pixels and need K = 2f - 1 (`aligned_kernel_size` picks).
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

/// The one call that runs a transposed convolution in beyond's models: `at::conv_transpose2d(x,
/// weight, bias, stride)` without padding or dilation. Kept in one place so a faster kernel replaces
/// it for every user at once.
torch::Tensor upconvolution(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            int64_t stride);

/// The same map as `upconvolution(x, W, {}, stride)` for W = bilinear_kernel(kernel_size) on every
/// channel's diagonal (and zeros elsewhere), computed as what it is: per-channel separable
/// interpolation, two small matrix products instead of C multiply-adds per kernel tap and output value.
/// Differentiable in x (the weight is fixed). Why it is exact: the comment in the .cpp file.
torch::Tensor bilinear_upconvolution(const torch::Tensor& x, int64_t stride, int64_t kernel_size);

/// The bilinear interpolation kernel of side `size` (FCN's `upsample_filt`): factor f = (size + 1) / 2,
/// centre c = f - 1 for odd sizes and f - 0.5 for even ones, k[i][j] = (1 - |i - c| / f)(1 - |j - c| / f).
/// float32 [size, size].
torch::Tensor bilinear_kernel(int64_t size);

/// Where the cells of a feature map lie in the image: cell j (along either axis) is centred on pixel
/// index stride * j + origin, pixel index p covering [p, p + 1). Grids made by same-padded
/// convolutions and 2x2 / stride-2 pooling have origin (stride - 1) / 2 (the pooled cell's centre is
/// between its pixels); grids made by padded stride-2 convolutions (k = 2p + 1) have origin 0. The
/// image itself is {1, 0}.
struct GridGeometry {
  double stride = 1;
  double origin = 0;
};

/// The crop offset o that aligns the upsampled map of a `source` grid (transposed convolution with
/// stride f = source.stride / target.stride and kernel K) with the `target` grid: after dropping the
/// first o rows and columns, output index t is target cell t. Derivation: input cell i sits at pixel
/// S*i + O_s and lands on output index f*i + (K - 1) / 2; target cell t sits at pixel s*t + O_t
/// (s = S / f); equating gives o = (K - 1) / 2 + (O_t - O_s) / s. beyond::Error when f is not a whole
/// number or o is not an integer (that kernel cannot align these grids: use aligned_kernel_size).
int64_t alignment_offset(const GridGeometry& source, const GridGeometry& target, int64_t kernel_size);

/// 2f when that aligns `source` with `target` exactly (pooled grids: FCN's kernel), else 2f - 1
/// (grids whose cells sit on pixels). beyond::Error if neither does.
int64_t aligned_kernel_size(const GridGeometry& source, const GridGeometry& target);

/// x[..., offset : offset + height, offset : offset + width]; beyond::Error naming `what` when the
/// map is too small (which would mean the geometry above is wrong).
torch::Tensor crop_spatial(const torch::Tensor& x, int64_t offset, int64_t height, int64_t width,
                           const char* what = "upsampled map");

struct BilinearUpsampleOptions {
  BilinearUpsampleOptions(int64_t channels, int64_t factor) : channels_(channels), factor_(factor) {}
  /// Input and output channels (upsampling is per channel at initialisation).
  TORCH_ARG(int64_t, channels);
  /// Stride of the transposed convolution.
  TORCH_ARG(int64_t, factor);
  /// Kernel side; 0 = 2 * factor (FCN's).
  TORCH_ARG(int64_t, kernel_size) = 0;
  /// false: the weight stays bilinear (requires_grad false), as FCN's final upsampling layer.
  TORCH_ARG(bool, learnable) = true;
};

/// See the file comment. Parameter: weight [C, C, K, K] (named like torch::nn::ConvTranspose2d's).
class BilinearUpsampleImpl : public torch::nn::Cloneable<BilinearUpsampleImpl> {
 public:
  explicit BilinearUpsampleImpl(BilinearUpsampleOptions options);
  void reset() override;
  /// Sets the weight back to per-channel bilinear interpolation.
  void reset_parameters();
  /// [N, C, h, w] -> [N, C, f * (h - 1) + K, f * (w - 1) + K], uncropped.
  torch::Tensor forward(const torch::Tensor& x);
  int64_t kernel_size() const;

  BilinearUpsampleOptions options;
  torch::Tensor weight;

 private:
  /// Whether `weight` still is the bilinear diagonal, so that forward may interpolate instead of
  /// convolving (fixed layers; a learnable weight needs its gradient). Checked again whenever the
  /// weight is replaced or written to (loading a state dict, an optimiser step).
  bool weight_is_bilinear() const;
  mutable const void* checked_data_ = nullptr;
  mutable int64_t checked_version_ = -1;
  mutable bool bilinear_ = false;
};
TORCH_MODULE(BilinearUpsample);

}  // namespace beyond::models
