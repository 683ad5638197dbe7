#pragma once
/// A small CNN classifier for 28x28 grayscale images (Fashion-MNIST: >= 91% test accuracy within a
/// few epochs). Its penultimate features are the embedding used for FID (`beyond::eval::fid`).
///
/// [N,1,28,28] in [0,1] -> normalise ((x-mean)/std inside the module) ->
/// conv1 32 BN ReLU -> conv2 32 BN ReLU -> maxpool 2 -> conv3 64 BN ReLU -> conv4 64 BN ReLU ->
/// maxpool 2 -> flatten (64*7*7) -> fc1 feature_dim BN1d ReLU (= features) -> dropout -> fc2 logits.
///
///   beyond::models::SmallCnn net(beyond::models::SmallCnnOptions(10, 128));
///   torch::Tensor logits = net->forward(images);     // images: raw [N,1,28,28] in [0,1]
///   net->eval();
///   torch::Tensor f = net->features(images);         // [N,128]
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace beyond::models {

/// Options of `SmallCnn`.
struct SmallCnnOptions {
  SmallCnnOptions(int64_t num_classes = 10, int64_t feature_dim = 128)
      : num_classes_(num_classes), feature_dim_(feature_dim) {}
  TORCH_ARG(int64_t, num_classes);
  /// Size of the penultimate feature vector.
  TORCH_ARG(int64_t, feature_dim);
  /// Dropout probability before the last layer.
  TORCH_ARG(double, dropout) = 0.3;
  /// Input normalisation (defaults: Fashion-MNIST train-set pixel mean and std).
  TORCH_ARG(double, input_mean) = 0.286;
  TORCH_ARG(double, input_std) = 0.353;
};

/// See the file comment. Submodules: conv1..conv4, bn1..bn4, fc1, bn5, dropout, fc2.
class SmallCnnImpl : public torch::nn::Cloneable<SmallCnnImpl> {
 public:
  explicit SmallCnnImpl(SmallCnnOptions options = {});
  void reset() override;

  /// Penultimate features [N,feature_dim] (after BN and ReLU, before dropout).
  torch::Tensor features(const torch::Tensor& x);
  /// Class logits [N,num_classes].
  torch::Tensor forward(const torch::Tensor& x);

  SmallCnnOptions options;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr}, bn4_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  torch::nn::BatchNorm1d bn5_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};

TORCH_MODULE(SmallCnn);

}  // namespace beyond::models
