#pragma once
/// The VGG-style body of an FCN: five blocks of same-padded 3x3 convolutions (optionally with
/// BatchNorm), each closed by a 2x2 / stride-2 max-pool, then fc6 (k x k convolution) and fc7 (1x1),
/// the fully connected layers of the classifier made convolutional, each followed by ReLU and dropout.
/// Returns the maps FCN's skips read: pool3 (stride 8), pool4 (stride 16), fc7 (stride 32).
///
/// Names: `features.N` with torchvision's indices (vgg16: conv, ReLU, ..., MaxPool; vgg16_bn: conv,
/// BatchNorm, ReLU, ...), so `features.*` of a torchvision vgg16 / vgg16_bn state_dict loads as is;
/// `fc6` and `fc7` are convolutions ([4096, 512, 7, 7] and [4096, 4096, 1, 1] for VGG-16: torchvision's
/// `classifier.0` / `classifier.3` weights reshaped, see `vgg16_classifier_as_fc`).
///
/// Two deliberate differences from Caffe's FCN, both for exact alignment at any input size: fc6 is
/// padded (k / 2) so it keeps positions (FCN instead padded the image by 100 pixels and cropped with
/// offsets 19 / 27 / 31); pooling uses ceil mode (as Caffe does, unlike torchvision), so an h-pixel
/// side gives ceil(h / s) cells at stride s and every pixel has a cell on each side of it or under it.
/// Cell j of the stride-s maps is centred on pixel s * j + (s - 1) / 2.
///
///   beyond::models::FcnVggBody body(beyond::models::FcnVggOptions::vgg16());
///   auto maps = body(images);   // {pool3 [N, 256, ceil(H/8), .], pool4 [N, 512, ...], fc7 [N, 4096, ...]}
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace beyond::models {

struct FcnVggOptions {
  /// torchvision's VGG-16 (configuration "D"), fc6 7x7 with 4096 channels.
  static FcnVggOptions vgg16() { return {}; }
  /// Output channels of each of the five blocks.
  TORCH_ARG(std::vector<int64_t>, widths) = std::vector<int64_t>{64, 128, 256, 512, 512};
  /// 3x3 convolutions in each block.
  TORCH_ARG(std::vector<int64_t>, convs) = std::vector<int64_t>{2, 2, 3, 3, 3};
  /// BatchNorm2d after every convolution of the blocks (vgg16_bn's layout); helps training from scratch.
  TORCH_ARG(bool, batch_norm) = false;
  /// Channels of fc6 and fc7.
  TORCH_ARG(int64_t, fc_channels) = 4096;
  /// Side of fc6's kernel (odd; VGG-16: 7).
  TORCH_ARG(int64_t, fc6_kernel) = 7;
  /// Dropout probability after fc6 and fc7 (FCN: 0.5).
  TORCH_ARG(double, dropout) = 0.5;
};

class FcnVggBodyImpl : public torch::nn::Cloneable<FcnVggBodyImpl> {
 public:
  explicit FcnVggBodyImpl(FcnVggOptions options = {});
  void reset() override;
  /// {pool3, pool4, fc7} of an [N, 3, H, W] batch.
  std::array<torch::Tensor, 3> forward(const torch::Tensor& images);
  /// Channels of pool3, pool4 and fc7.
  std::array<int64_t, 3> channels() const;
  /// With batch_norm, folds each BatchNorm2d (running statistics; eval mode required) into the
  /// convolution before it, leaving an Identity in its place (so `features.N` keep their indices, but
  /// the state_dict loses the norms): inference only, after loading weights.
  void fold_norm();
  /// fc6 when forward runs it as one matrix product (detail::conv2d_as_gemm: kernel 7 or larger), else null.
  const torch::nn::Conv2dImpl* gemm_fc6() const { return options.fc6_kernel() >= 7 ? fc6_.get() : nullptr; }

  FcnVggOptions options;

 private:
  torch::nn::Sequential features_{nullptr};
  std::vector<size_t> pool_index_;  // position of each block's max-pool in features_
  torch::nn::Conv2d fc6_{nullptr}, fc7_{nullptr};
  torch::nn::Dropout drop6_{nullptr}, drop7_{nullptr};
};
TORCH_MODULE(FcnVggBody);

namespace detail {
/// conv2d with stride 1 and "same" padding (k / 2) as im2col (unfold) and one matrix product over the
/// whole batch: what the body runs fc6 with when its kernel is 7 or larger. Equal to torch::conv2d up
/// to float rounding, forward and backward (fcn_vgg_body_test).
torch::Tensor conv2d_as_gemm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);
/// max_pool2d(x, 2, stride 2, ceil_mode) as the elementwise maximum of the four strided quarters (odd
/// sides padded with -inf): the same values, without indices; used without gradients.
torch::Tensor max_pool_2x2_ceil(const torch::Tensor& x);
}  // namespace detail

/// torchvision's vgg16 `classifier.0.weight` [4096, 25088] and `classifier.3.weight` [4096, 4096] (with
/// their biases) as FCN's convolutional fc6 [4096, 512, 7, 7] / fc7 [4096, 4096, 1, 1], under the names
/// `<prefix>fc6.weight` etc.; other tensors pass through. This is the "convolutionalization" of the paper.
std::map<std::string, torch::Tensor> vgg16_classifier_as_fc(const std::map<std::string, torch::Tensor>& torchvision,
                                                             const std::string& prefix = "");

}  // namespace beyond::models
