#pragma once
/// DCGAN (Radford et al., 2016) sized for 28x28 images (Fashion-MNIST).
///
/// Generator: z [N,latent] -> Linear -> [N,2b,7,7] BN ReLU -> ConvTranspose 4/2/1 -> [N,b,14,14]
/// BN ReLU -> ConvTranspose 4/2/1 -> [N,C,28,28] tanh (outputs in [-1,1]; feed the discriminator
/// real images scaled as 2x-1). Discriminator: Conv 4/2/1 C->b LeakyReLU(0.2) -> Conv 4/2/1
/// b->2b BN LeakyReLU(0.2) -> flatten -> Linear -> one logit per image, shape [N].
/// `reset()` applies the DCGAN init: conv/linear weights N(0,0.02), BN weight N(1,0.02), biases 0.
/// Losses: `beyond::losses::discriminator_loss` / `generator_loss`.
///
///   beyond::models::DcganGenerator g(beyond::models::DcganGeneratorOptions().latent(100));
///   beyond::models::DcganDiscriminator d(beyond::models::DcganDiscriminatorOptions());
///   torch::Tensor fake = g->forward(torch::randn({16, 100}));   // [16,1,28,28] in [-1,1]
///   torch::Tensor logits = d->forward(fake);                     // [16]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

/// Options of `DcganGenerator`.
struct DcganGeneratorOptions {
  DcganGeneratorOptions(int64_t latent = 100, int64_t base_channels = 64)
      : latent_(latent), base_channels_(base_channels) {}
  /// Size of z.
  TORCH_ARG(int64_t, latent);
  /// b: channels at 14x14 (2b at 7x7).
  TORCH_ARG(int64_t, base_channels);
  /// Output image channels C.
  TORCH_ARG(int64_t, channels) = 1;
};

/// Maps z [N,latent] (or [N,latent,1,1]) to images [N,C,28,28] in [-1,1].
/// Submodules: fc, bn0, deconv1, bn1, deconv2.
class DcganGeneratorImpl : public torch::nn::Cloneable<DcganGeneratorImpl> {
 public:
  explicit DcganGeneratorImpl(DcganGeneratorOptions options = {});
  void reset() override;
  torch::Tensor forward(const torch::Tensor& z);

  DcganGeneratorOptions options;

 private:
  torch::nn::Linear fc_{nullptr};
  torch::nn::BatchNorm2d bn0_{nullptr}, bn1_{nullptr};
  torch::nn::ConvTranspose2d deconv1_{nullptr}, deconv2_{nullptr};
};

TORCH_MODULE(DcganGenerator);

/// Options of `DcganDiscriminator`.
struct DcganDiscriminatorOptions {
  DcganDiscriminatorOptions(int64_t base_channels = 64) : base_channels_(base_channels) {}
  /// b: channels at 14x14 (2b at 7x7).
  TORCH_ARG(int64_t, base_channels);
  /// Input image channels C.
  TORCH_ARG(int64_t, channels) = 1;
  /// Negative slope of the LeakyReLUs.
  TORCH_ARG(double, negative_slope) = 0.2;
};

/// Maps images [N,C,28,28] (in [-1,1]) to one real/fake logit each, shape [N].
/// Submodules: conv1, conv2, bn2, fc.
class DcganDiscriminatorImpl : public torch::nn::Cloneable<DcganDiscriminatorImpl> {
 public:
  explicit DcganDiscriminatorImpl(DcganDiscriminatorOptions options = {});
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  DcganDiscriminatorOptions options;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn2_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

TORCH_MODULE(DcganDiscriminator);

/// The DCGAN init on every submodule of `module`: Conv*/ConvTranspose*/Linear weights N(0,0.02)
/// and biases 0; BatchNorm weights N(1,0.02) and biases 0. Draws from the default generator.
void dcgan_init(torch::nn::Module& module);

}  // namespace beyond::models
