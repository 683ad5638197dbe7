#pragma once
/// The classifiers of the Spatial Transformer experiments: a plain backbone (FCN or CNN), optionally
/// behind a SpatialTransformer (ST-FCN, ST-CNN).
///
///   fcn  flatten -> fc hidden -> ReLU -> fc hidden -> ReLU -> fc num_classes
///   cnn  per entry of channels: conv 5x5 (padding 2) -> ReLU -> max-pool 2; flatten -> fc hidden -> ReLU
///        -> fc num_classes
///
/// With a transformer the backbone sees the rectified image (count C channels at the transformer's output
/// size). To compare like with like, `budget_matched_hidden` picks the backbone's hidden width so that
/// the whole ST model has as many parameters as the plain model it is compared with.
///
///   using namespace beyond::models;
///   StnClassifier cnn(StnClassifierOptions("cnn", 1, {42, 42}));
///   auto st_opts = StnClassifierOptions("cnn", 1, {42, 42})
///                      .transformer(SpatialTransformerOptions(1, {42, 42}, {42, 42}));
///   st_opts.hidden(budget_matched_hidden(st_opts, parameter_count(*cnn)));
///   StnClassifier st_cnn(st_opts);
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

#include "beyond/models/stn/spatial_transformer.h"

namespace beyond::models {

struct StnClassifierOptions {
  StnClassifierOptions(std::string backbone, int64_t in_channels, std::vector<int64_t> input_size)
      : backbone_(std::move(backbone)), in_channels_(in_channels), input_size_(std::move(input_size)) {}
  /// "fcn" or "cnn".
  TORCH_ARG(std::string, backbone);
  TORCH_ARG(int64_t, in_channels);
  /// {H, W} of the input images.
  TORCH_ARG(std::vector<int64_t>, input_size);
  TORCH_ARG(int64_t, num_classes) = 10;
  /// Width of the FCN's two hidden layers, or of the CNN's fully connected layer.
  TORCH_ARG(int64_t, hidden) = 256;
  /// The CNN's conv stages.
  TORCH_ARG(std::vector<int64_t>, channels) = std::vector<int64_t>{16, 32};
  /// A transformer in front of the backbone (its in_channels / input_size must match the input's).
  TORCH_ARG(std::optional<SpatialTransformerOptions>, transformer) = std::nullopt;
};

class StnClassifierImpl : public torch::nn::Cloneable<StnClassifierImpl> {
 public:
  explicit StnClassifierImpl(StnClassifierOptions options);
  void reset() override;

  /// Class logits [N, num_classes] of images [N, C, H, W].
  torch::Tensor forward(const torch::Tensor& x);
  /// What the backbone sees: the transformer's output, or x itself without a transformer.
  torch::Tensor rectify(const torch::Tensor& x);
  /// The transformer, or an empty holder (check with `if (net->transformer())`).
  SpatialTransformer transformer() const { return transformer_; }

  StnClassifierOptions options;

 private:
  torch::Tensor backbone(const torch::Tensor& x);
  SpatialTransformer transformer_{nullptr};
  torch::nn::ModuleList convs_{nullptr}, fcs_{nullptr};
};

TORCH_MODULE(StnClassifier);

/// Number of scalar parameters of a module (all of its parameters, recursively).
int64_t parameter_count(const torch::nn::Module& module);

/// The hidden width for `options` (which usually has a transformer) that brings its total parameter
/// count closest to `target` (the plain model's): the "same parameter budget" of the comparison.
int64_t budget_matched_hidden(const StnClassifierOptions& options, int64_t target);

}  // namespace beyond::models
