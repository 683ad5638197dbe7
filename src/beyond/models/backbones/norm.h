#pragma once
/// Normalisation layers of the backbones: torchvision's `FrozenBatchNorm2d` (batch statistics and
/// affine parameters fixed, stored as buffers so an optimizer never sees them) or plain
/// `BatchNorm2d` (what torchvision builds with `weights=None`), chosen per backbone by `NormKind`,
/// and the folding of either into the convolution before it for inference.
///
///   auto bn = beyond::models::make_norm(beyond::models::NormKind::Frozen, 64);   // AnyModule
///   std::tie(conv, bn) = beyond::models::fold_norm(*this, "conv1", conv, "bn1", bn);
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>

namespace beyond::models {

/// BatchNorm2d with fixed statistics and affine parameters: y = x * scale + shift with
/// scale = weight / sqrt(running_var + eps), shift = bias - running_mean * scale. Buffers `weight`,
/// `bias`, `running_mean`, `running_var` (no `num_batches_tracked`), eps 1e-5, all as torchvision 0.14.
class FrozenBatchNorm2dImpl : public torch::nn::Cloneable<FrozenBatchNorm2dImpl> {
 public:
  explicit FrozenBatchNorm2dImpl(int64_t num_features, double eps = 1e-5);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  /// The per-channel affine map the layer applies: {scale, shift}, each [C].
  std::pair<torch::Tensor, torch::Tensor> scale_shift() const;

  int64_t num_features;
  double eps;
  torch::Tensor weight, bias, running_mean, running_var;
};
TORCH_MODULE(FrozenBatchNorm2d);

/// Which normalisation a backbone uses after each convolution.
enum class NormKind {
  Frozen,     ///< FrozenBatchNorm2d: fine-tuning from pretrained weights (torchvision's default for detection)
  BatchNorm,  ///< BatchNorm2d: training from scratch (torchvision's choice when `weights=None`)
};

/// "frozen" / "bn" (also "batch_norm"); beyond::Error naming `where` otherwise.
NormKind parse_norm_kind(const std::string& name, const std::string& where = "norm");
const char* norm_kind_name(NormKind kind);

/// A FrozenBatchNorm2d or BatchNorm2d of `channels` features, type-erased so blocks hold either.
torch::nn::AnyModule make_norm(NormKind kind, int64_t channels);

/// `norm(conv(x))`. A FrozenBatchNorm2d is applied inside the convolution (weight * scale, shift as
/// the bias), recomputed on every call so the weights stay trainable and the state_dict unchanged: the
/// same affine map with one pass over the output fewer, forward and backward. Fine-tuning keeps every
/// norm frozen, so this is most of what folding saves at inference, available while training.
torch::Tensor conv_norm(torch::nn::Conv2d& conv, torch::nn::AnyModule& norm, const torch::Tensor& x);

/// Folds `norm` (FrozenBatchNorm2d, or BatchNorm2d in eval mode: its running statistics) into `conv`:
/// returns a new convolution with a bias, registered in `owner` under `conv_name`, and an Identity
/// registered under `norm_name`. Outputs stay equal up to float rounding; the owner's state_dict then
/// has `conv_name.bias` and no norm tensors, so fold only for inference, after loading weights.
std::pair<torch::nn::Conv2d, torch::nn::AnyModule> fold_norm(torch::nn::Module& owner, const std::string& conv_name,
                                                              const torch::nn::Conv2d& conv,
                                                              const std::string& norm_name,
                                                              const torch::nn::AnyModule& norm);

}  // namespace beyond::models
