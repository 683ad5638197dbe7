#include "beyond/models/stn/stn_classifier.h"

#include <torch/torch.h>

#include <cstdlib>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

namespace {

struct BackboneInput {
  int64_t channels, h, w;
};

BackboneInput backbone_input(const StnClassifierOptions& o) {
  if (!o.transformer()) return {o.in_channels(), o.input_size()[0], o.input_size()[1]};
  const auto& t = *o.transformer();
  return {t.in_channels() * t.count(), t.output_size()[0], t.output_size()[1]};
}

/// Parameters of the backbone alone, for a given hidden width (without building it).
int64_t backbone_parameters(const StnClassifierOptions& o, int64_t hidden) {
  auto in = backbone_input(o);
  const int64_t classes = o.num_classes();
  if (o.backbone() == "fcn") {
    const int64_t d = in.channels * in.h * in.w;
    return d * hidden + hidden + hidden * hidden + hidden + hidden * classes + classes;
  }
  int64_t total = 0, c = in.channels, h = in.h, w = in.w;
  for (int64_t out : o.channels()) {
    total += c * out * 25 + out;
    c = out, h /= 2, w /= 2;
  }
  return total + c * h * w * hidden + hidden + hidden * classes + classes;
}

}  // namespace

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

StnClassifierImpl::StnClassifierImpl(StnClassifierOptions options) : options(std::move(options)) { reset(); }

void StnClassifierImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.backbone() == "fcn" || o.backbone() == "cnn", "StnClassifierOptions: backbone must be 'fcn' or 'cnn', got '",
               o.backbone(), "'");
  BEYOND_CHECK(o.input_size().size() == 2 && o.input_size()[0] > 0 && o.input_size()[1] > 0 && o.in_channels() > 0,
               "StnClassifierOptions: in_channels and input_size {H, W} must be positive");
  BEYOND_CHECK(o.hidden() > 0 && o.num_classes() > 0, "StnClassifierOptions: hidden and num_classes must be positive, got ",
               o.hidden(), " and ", o.num_classes());
  if (o.transformer()) {
    const auto& t = *o.transformer();
    BEYOND_CHECK(t.in_channels() == o.in_channels() && t.input_size() == o.input_size(),
                 "StnClassifierOptions: the transformer's in_channels / input_size must be the classifier's (",
                 o.in_channels(), ", ", o.input_size()[0], "x", o.input_size()[1], ")");
    transformer_ = register_module("transformer", SpatialTransformer(t));
  }
  convs_ = register_module("convs", nn::ModuleList());
  fcs_ = register_module("fcs", nn::ModuleList());
  auto in = backbone_input(o);
  int64_t features = in.channels * in.h * in.w;
  if (o.backbone() == "cnn") {
    int64_t c = in.channels, h = in.h, w = in.w;
    for (int64_t out : o.channels()) {
      BEYOND_CHECK(h >= 2 && w >= 2, "StnClassifierOptions: too many conv stages for a ", in.h, "x", in.w, " input");
      convs_->push_back(nn::Conv2d(nn::Conv2dOptions(c, out, 5).padding(2)));
      c = out, h /= 2, w /= 2;
    }
    features = c * h * w;
    fcs_->push_back(nn::Linear(features, o.hidden()));
  } else {
    fcs_->push_back(nn::Linear(features, o.hidden()));
    fcs_->push_back(nn::Linear(o.hidden(), o.hidden()));
  }
  fcs_->push_back(nn::Linear(o.hidden(), o.num_classes()));
}

torch::Tensor StnClassifierImpl::rectify(const torch::Tensor& x) { return transformer_ ? transformer_->forward(x) : x; }

torch::Tensor StnClassifierImpl::backbone(const torch::Tensor& x) {
  torch::Tensor h = x;
  for (const auto& conv : *convs_) h = torch::max_pool2d(torch::relu(conv->as<nn::Conv2d>()->forward(h)), 2);
  h = h.flatten(1);
  for (size_t i = 0; i < fcs_->size(); ++i) {
    h = fcs_[i]->as<nn::Linear>()->forward(h);
    if (i + 1 < fcs_->size()) h = torch::relu(h);
  }
  return h;
}

torch::Tensor StnClassifierImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == options.in_channels() && x.size(2) == options.input_size()[0] &&
                   x.size(3) == options.input_size()[1],
               "StnClassifier: expected images of shape [N, ", options.in_channels(), ", ", options.input_size()[0],
               ", ", options.input_size()[1], "], got ", x.sizes());
  return backbone(rectify(x));
}

int64_t budget_matched_hidden(const StnClassifierOptions& options, int64_t target) {
  const int64_t st = options.transformer() ? parameter_count(*SpatialTransformer(*options.transformer())) : 0;
  int64_t best = 1, best_gap = -1;
  for (int64_t h = 1; h <= 4096; ++h) {
    const int64_t gap = std::llabs(st + backbone_parameters(options, h) - target);
    if (best_gap < 0 || gap < best_gap) best = h, best_gap = gap;
  }
  return best;
}

}  // namespace beyond::models
