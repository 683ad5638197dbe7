#include "beyond/models/layers/bilinear_upsample.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"
#include "beyond/ops/conv_transpose.h"

namespace beyond::models {

torch::Tensor upconvolution(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                            int64_t stride) {
  // ATen's CPU transposed convolution is slow_conv_transpose2d; the ops library's is the same map as one conv2d.
  return ops::conv_transpose2d(x, weight, bias, {stride, stride});
}

namespace {
/// FCN's 1-D bilinear line of `size` taps, 1 - |j - c| / f, in float64; bilinear_kernel is its outer product.
torch::Tensor bilinear_line(int64_t size) {
  const int64_t factor = (size + 1) / 2;
  const double centre = size % 2 == 1 ? factor - 1.0 : factor - 0.5;
  return 1 - (torch::arange(size, torch::kFloat64) - centre).abs() / static_cast<double>(factor);
}

/// [(n - 1) f + K, n]: column i holds the line at rows f i .. f i + K - 1, so that M x is the 1-D
/// transposed convolution of x with it.
torch::Tensor interpolation_matrix(int64_t n, int64_t stride, int64_t kernel_size, torch::ScalarType dtype) {
  const auto line = bilinear_line(kernel_size).to(dtype);
  auto m = torch::zeros({(n - 1) * stride + kernel_size, n}, line.options());
  for (int64_t i = 0; i < n; ++i) m.select(1, i).narrow(0, i * stride, kernel_size).copy_(line);
  return m;
}
}  // namespace

// The diagonal bilinear weight is separable per channel: W[c][c] = line line^T. So the transposed
// convolution of one channel is A x B^T, with A and B the 1-D transposed convolutions along H and W as
// matrices. Two matrix products replace C * K^2 multiply-adds per input value; autograd's backward of
// them is A^T g B, the adjoint.
torch::Tensor bilinear_upconvolution(const torch::Tensor& x, int64_t stride, int64_t kernel_size) {
  BEYOND_CHECK(stride >= 1 && kernel_size >= 1, "bilinear_upconvolution: stride and kernel must be >= 1, got ",
               stride, " and ", kernel_size);
  BEYOND_CHECK(x.dim() == 4, "bilinear_upconvolution: expected [N, C, H, W], got ", x.sizes());
  const auto a = interpolation_matrix(x.size(2), stride, kernel_size, x.scalar_type());
  const auto b = interpolation_matrix(x.size(3), stride, kernel_size, x.scalar_type());
  // Each product as one large GEMM over every row of every channel (rather than one small GEMM per
  // channel): along H on the transposed (small) input first, then along W, which writes the output
  // contiguously.
  return torch::matmul(torch::matmul(x.transpose(2, 3), a.t()).transpose(2, 3), b.t());
}

torch::Tensor bilinear_kernel(int64_t size) {
  BEYOND_CHECK(size >= 1, "bilinear_kernel: size must be >= 1, got ", size);
  const auto line = bilinear_line(size);
  return torch::outer(line, line).to(torch::kFloat32);
}

namespace {
bool near_integer(double v) { return std::abs(v - std::round(v)) < 1e-9; }
}  // namespace

int64_t alignment_offset(const GridGeometry& source, const GridGeometry& target, int64_t kernel_size) {
  const double f = source.stride / target.stride;
  BEYOND_CHECK(target.stride > 0 && f >= 1 && near_integer(f), "alignment_offset: a grid of stride ", source.stride,
               " does not upsample to one of stride ", target.stride, " by a whole factor");
  const double offset = (kernel_size - 1) / 2.0 + (target.origin - source.origin) / target.stride;
  BEYOND_CHECK(near_integer(offset), "alignment_offset: a ", kernel_size, "x", kernel_size,
               " transposed convolution cannot align a grid of stride ", source.stride, " and origin ",
               source.origin, " with one of stride ", target.stride, " and origin ", target.origin, " (offset ",
               offset, " is not an integer); use aligned_kernel_size");
  return static_cast<int64_t>(std::lround(offset));
}

int64_t aligned_kernel_size(const GridGeometry& source, const GridGeometry& target) {
  const int64_t f = std::lround(source.stride / target.stride);
  for (int64_t k : {2 * f, 2 * f - 1}) {
    const double offset = (k - 1) / 2.0 + (target.origin - source.origin) / target.stride;
    if (near_integer(offset)) return k;
  }
  throw Error(str("aligned_kernel_size: no bilinear kernel aligns a grid of stride ", source.stride, " and origin ",
                  source.origin, " with one of stride ", target.stride, " and origin ", target.origin));
}

torch::Tensor crop_spatial(const torch::Tensor& x, int64_t offset, int64_t height, int64_t width, const char* what) {
  BEYOND_CHECK(x.dim() == 4 && offset >= 0 && x.size(2) >= offset + height && x.size(3) >= offset + width, what,
               " of shape ", x.sizes(), " does not hold a ", height, " x ", width, " crop at offset ", offset);
  return x.slice(2, offset, offset + height).slice(3, offset, offset + width);
}

BilinearUpsampleImpl::BilinearUpsampleImpl(BilinearUpsampleOptions options_) : options(options_) { reset(); }

int64_t BilinearUpsampleImpl::kernel_size() const {
  return options.kernel_size() > 0 ? options.kernel_size() : 2 * options.factor();
}

void BilinearUpsampleImpl::reset() {
  BEYOND_CHECK(options.channels() > 0 && options.factor() >= 1 && options.kernel_size() >= 0,
               "BilinearUpsample: channels and factor must be positive and kernel_size >= 0, got channels ",
               options.channels(), ", factor ", options.factor(), ", kernel_size ", options.kernel_size());
  const int64_t c = options.channels(), k = kernel_size();
  weight = register_parameter("weight", torch::zeros({c, c, k, k}), options.learnable());
  reset_parameters();
}

void BilinearUpsampleImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  weight.zero_();
  const auto kernel = bilinear_kernel(kernel_size());
  for (int64_t i = 0; i < options.channels(); ++i) weight[i][i].copy_(kernel);
}

torch::Tensor BilinearUpsampleImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == options.channels(), "BilinearUpsample: expected [N, ",
               options.channels(), ", H, W], got ", x.sizes());
  const bool needs_weight_grad = weight.requires_grad() && torch::GradMode::is_enabled();
  if (!needs_weight_grad && weight_is_bilinear())
    return bilinear_upconvolution(x, options.factor(), kernel_size());
  return upconvolution(x, weight, {}, options.factor());
}

bool BilinearUpsampleImpl::weight_is_bilinear() const {
  if (checked_data_ != weight.data_ptr() || checked_version_ != weight._version()) {
    torch::NoGradGuard no_grad;
    const auto on = weight.diagonal(0, 0, 1).permute({2, 0, 1});  // [C, K, K]: weight[c][c]
    const auto kernel = bilinear_kernel(kernel_size()).to(weight.dtype());
    const auto per_pair = weight.abs().sum({2, 3});  // [C, C]
    const bool nothing_off_diagonal = (per_pair - per_pair.diagonal().diag()).eq(0).all().item<bool>();
    bilinear_ = nothing_off_diagonal && on.eq(kernel).all().item<bool>();
    checked_data_ = weight.data_ptr();
    checked_version_ = weight._version();
  }
  return bilinear_;
}

}  // namespace beyond::models
