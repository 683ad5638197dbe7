#pragma once
/// A deterministic autoencoder with an undercomplete bottleneck, as an MLP or a small conv net.
///
/// Represents: x in [0,1]^(C x S x S) -> z in R^latent -> Bernoulli logits of the same shape.
/// The decoder returns logits (apply sigmoid for images), so train it with BCE-with-logits
/// (`beyond::losses::bernoulli_log_likelihood` or `binary_cross_entropy_with_logits`). Feed it
/// inputs corrupted by `beyond::models::corrupt` and clean targets to make a denoising autoencoder.
///
///   beyond::models::Autoencoder ae(beyond::models::AutoencoderOptions().kind("conv").latent(16));
///   torch::Tensor logits = ae->forward(x);            // x: [N,1,28,28] in [0,1]
///   torch::Tensor z = ae->encode(x);                  // [N,16]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace beyond::models {

/// Options of `Autoencoder`.
struct AutoencoderOptions {
  /// "mlp" (fully connected) or "conv" (strided convolutions / transposed convolutions).
  TORCH_ARG(std::string, kind) = "mlp";
  /// Image channels C.
  TORCH_ARG(int64_t, channels) = 1;
  /// Image side S (square images); for "conv" it must be divisible by 2^conv_channels.size().
  TORCH_ARG(int64_t, image_size) = 28;
  /// Hidden layer widths of the MLP encoder (the decoder mirrors them).
  TORCH_ARG(std::vector<int64_t>, hidden) = {512, 256};
  /// Bottleneck size.
  TORCH_ARG(int64_t, latent) = 32;
  /// Channels of the conv encoder's stride-2 layers (the decoder mirrors them).
  TORCH_ARG(std::vector<int64_t>, conv_channels) = {32, 64};
};

/// See the file comment. Submodules: `encoder`, `decoder` (both `Sequential`).
class AutoencoderImpl : public torch::nn::Cloneable<AutoencoderImpl> {
 public:
  explicit AutoencoderImpl(AutoencoderOptions options = {});

  void reset() override;

  /// x: [N,C,S,S] (or [N,C*S*S]) in [0,1] -> z: [N,latent].
  torch::Tensor encode(const torch::Tensor& x);
  /// z: [N,latent] -> logits [N,C,S,S].
  torch::Tensor decode(const torch::Tensor& z);
  /// decode(encode(x)): logits [N,C,S,S].
  torch::Tensor forward(const torch::Tensor& x);

  AutoencoderOptions options;

 private:
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
};

TORCH_MODULE(Autoencoder);

}  // namespace beyond::models
