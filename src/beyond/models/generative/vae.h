#pragma once
/// Variational autoencoder of Kingma & Welling (2014), with the architecture of PyTorch's
/// examples/vae: fc1 (input->hidden) ReLU -> fc21 / fc22 (hidden->latent: mu, logvar);
/// fc3 (latent->hidden) ReLU -> fc4 (hidden->input) Bernoulli logits. Parameter names match the
/// example's state_dict (fc1.weight, fc21.bias, ...), so its weights load unchanged.
///
/// q(z|x) = N(mu, diag(exp(logvar))), p(z) = N(0, I), p(x|z) = Bernoulli(sigmoid(logits)).
/// `forward` always samples z by reparameterisation (as the example does, also in eval mode);
/// use `encode` for the posterior mean. Train with `beyond::losses::vae_loss`.
///
///   beyond::models::Vae vae(beyond::models::VaeOptions(784, 400, 20));
///   beyond::models::VaeOutput out = vae->forward(torch::rand({2, 1, 28, 28}));
///   torch::Tensor images = torch::sigmoid(out.logits);        // [2,1,28,28]
///   torch::Tensor samples = torch::sigmoid(vae->decode(torch::randn({16, 20})));
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <tuple>
#include <vector>

namespace beyond::models {

/// Options of `Vae`.
struct VaeOptions {
  VaeOptions(int64_t input_dim = 784, int64_t hidden = 400, int64_t latent = 20)
      : input_dim_(input_dim), hidden_(hidden), latent_(latent) {}
  /// Number of input elements D (784 for 28x28 images).
  TORCH_ARG(int64_t, input_dim);
  /// Width of the hidden layers.
  TORCH_ARG(int64_t, hidden);
  /// Latent size.
  TORCH_ARG(int64_t, latent);
  /// Per-example shape of inputs and logits; its product must be input_dim. Empty (default) means
  /// [1,s,s] when input_dim = s*s (so 784 -> [1,28,28]), otherwise [input_dim].
  TORCH_ARG(std::vector<int64_t>, image_shape) = {};
};

/// What `Vae::forward` returns.
struct VaeOutput {
  torch::Tensor logits;  ///< [N, image_shape...], e.g. [N,1,28,28]
  torch::Tensor mu;      ///< [N,latent]
  torch::Tensor logvar;  ///< [N,latent]
  torch::Tensor z;       ///< [N,latent], the sample that was decoded
};

/// See the file comment.
class VaeImpl : public torch::nn::Cloneable<VaeImpl> {
 public:
  explicit VaeImpl(VaeOptions options = {});

  void reset() override;

  /// x: [N, image_shape...] or [N,input_dim] -> (mu, logvar), each [N,latent].
  std::tuple<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
  /// mu + eps * exp(0.5 logvar) with eps ~ N(0,I) from the default generator.
  torch::Tensor reparameterize(const torch::Tensor& mu, const torch::Tensor& logvar) const;
  /// z: [N,latent] -> logits [N, image_shape...].
  torch::Tensor decode(const torch::Tensor& z);
  /// encode, sample z, decode.
  VaeOutput forward(const torch::Tensor& x);

  /// The resolved per-example shape of inputs and logits (e.g. {1,28,28}).
  const std::vector<int64_t>& image_shape() const { return image_shape_; }

  VaeOptions options;

 private:
  torch::nn::Linear fc1_{nullptr}, fc21_{nullptr}, fc22_{nullptr}, fc3_{nullptr}, fc4_{nullptr};
  std::vector<int64_t> image_shape_;
};

TORCH_MODULE(Vae);

}  // namespace beyond::models
