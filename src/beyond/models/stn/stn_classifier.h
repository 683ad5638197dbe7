#pragma once
/// The classifiers of the Spatial Transformer experiments: a plain backbone (FCN or CNN), optionally
/// behind a SpatialTransformer (ST-FCN, ST-CNN).
///
///   fcn  flatten -> fc hidden -> ReLU -> fc hidden -> ReLU -> fc num_classes
///   cnn  per entry of channels: conv 5x5 (padding 2) -> ReLU -> max-pool 2; flatten -> fc hidden -> ReLU
///        -> fc num_classes
///
/// With a transformer the backbone sees the rectified image (count C channels at the transformer's output
/// size). With `transformer_after` k > 0 (CNN only) the transformer sits inside the backbone, after its
/// k-th conv stage, and rectifies that stage's feature maps, as in the paper's SVHN model (ST-CNN Multi);
/// there the localisation net sees features rather than pixels, and a smaller input.
/// To compare like with like, `budget_matched_hidden` picks the backbone's hidden width so that the whole
/// ST model has as many parameters as the plain model it is compared with.
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
  /// A transformer in front of the backbone, or after conv stage `transformer_after`: its in_channels /
  /// input_size must match the tensor it receives (the input, or that stage's channels at size / 2^k).
  TORCH_ARG(std::optional<SpatialTransformerOptions>, transformer) = std::nullopt;
  /// Conv stages before the transformer: 0 = in front of the backbone; 1..channels.size() (CNN only).
  TORCH_ARG(int64_t, transformer_after) = 0;
};

class StnClassifierImpl : public torch::nn::Cloneable<StnClassifierImpl> {
 public:
  explicit StnClassifierImpl(StnClassifierOptions options);
  void reset() override;

  /// Class logits [N, num_classes] of images [N, C, H, W].
  torch::Tensor forward(const torch::Tensor& x);
  /// θ that the transformer regresses for images x: [N, count, P] (it sees x itself, or the features of
  /// the first transformer_after stages).
  torch::Tensor theta(const torch::Tensor& x);
  /// The images x warped by θ at their own size, [N, count C, H, W]: what the transformer does, drawn on
  /// the input even when it acts on feature maps (the grids are in normalised coordinates, so the same θ
  /// applies at any resolution). Without a transformer, x.
  torch::Tensor warp_input(const torch::Tensor& x, const torch::Tensor& theta) const;
  /// The transformer, or an empty holder (check with `if (net->transformer())`).
  SpatialTransformer transformer() const { return transformer_; }

  StnClassifierOptions options;

 private:
  /// Conv stages [first, last) (conv 5x5, ReLU, max-pool 2).
  torch::Tensor conv_stages(torch::Tensor h, size_t first, size_t last);
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
