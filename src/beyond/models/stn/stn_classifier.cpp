#include "beyond/models/stn/stn_classifier.h"

#include <torch/torch.h>

#include <cstdlib>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

namespace {

struct Shape {
  int64_t c, h, w;
};

/// Walks the backbone from the input through its conv stages, and through the transformer where it
/// sits, calling on_conv(in, out) for each conv; returns the shape the fully connected layers see.
template <typename OnConv>
Shape walk_backbone(const StnClassifierOptions& o, OnConv&& on_conv) {
  const size_t stages = o.backbone() == "cnn" ? o.channels().size() : 0;
  BEYOND_CHECK(o.transformer_after() >= 0 && static_cast<size_t>(o.transformer_after()) <= stages,
               "StnClassifierOptions: transformer_after must be in [0, ", stages, "] (conv stages before the ",
               "transformer", o.backbone() == "fcn" ? "; the FCN has none" : "", "), got ", o.transformer_after());
  Shape s{o.in_channels(), o.input_size()[0], o.input_size()[1]};
  auto through_transformer = [&] {
    const auto& t = *o.transformer();
    const bool fits = t.in_channels() == s.c && t.input_size() == std::vector<int64_t>{s.h, s.w};
    BEYOND_CHECK(fits,
                 "StnClassifierOptions: the transformer after ", o.transformer_after(), " conv stage(s) receives [",
                 s.c, ", ", s.h, ", ", s.w, "] but its in_channels / input_size are [", t.in_channels(), ", ",
                 t.input_size()[0], ", ", t.input_size()[1], "]");
    s = {t.in_channels() * t.count(), t.output_size()[0], t.output_size()[1]};
  };
  for (size_t i = 0; i < stages; ++i) {
    if (o.transformer() && i == static_cast<size_t>(o.transformer_after())) through_transformer();
    BEYOND_CHECK(s.h >= 2 && s.w >= 2, "StnClassifierOptions: too many conv stages for a ", o.input_size()[0], "x",
                 o.input_size()[1], " input");
    on_conv(s.c, o.channels()[i]);
    s = {o.channels()[i], s.h / 2, s.w / 2};
  }
  if (o.transformer() && static_cast<size_t>(o.transformer_after()) == stages) through_transformer();
  return s;
}

/// Parameters of the backbone alone, for a given hidden width (without building it).
int64_t backbone_parameters(const StnClassifierOptions& o, int64_t hidden) {
  int64_t total = 0;
  const Shape s = walk_backbone(o, [&](int64_t in, int64_t out) { total += in * out * 25 + out; });
  const int64_t d = s.c * s.h * s.w, classes = o.num_classes();
  if (o.backbone() == "fcn") total += hidden * hidden + hidden;  // the second hidden layer
  return total + d * hidden + hidden + hidden * classes + classes;
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
  if (o.transformer()) transformer_ = register_module("transformer", SpatialTransformer(*o.transformer()));
  convs_ = register_module("convs", nn::ModuleList());
  fcs_ = register_module("fcs", nn::ModuleList());
  const Shape s = walk_backbone(
      o, [&](int64_t in, int64_t out) { convs_->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 5).padding(2))); });
  fcs_->push_back(nn::Linear(s.c * s.h * s.w, o.hidden()));
  if (o.backbone() == "fcn") fcs_->push_back(nn::Linear(o.hidden(), o.hidden()));
  fcs_->push_back(nn::Linear(o.hidden(), o.num_classes()));
}

torch::Tensor StnClassifierImpl::conv_stages(torch::Tensor h, size_t first, size_t last) {
  for (size_t i = first; i < last; ++i) h = torch::max_pool2d(torch::relu(convs_[i]->as<nn::Conv2d>()->forward(h)), 2);
  return h;
}

torch::Tensor StnClassifierImpl::theta(const torch::Tensor& x) {
  BEYOND_CHECK(transformer_, "StnClassifier: theta() of a classifier without a transformer");
  return transformer_->theta(conv_stages(x, 0, options.transformer_after()));
}

torch::Tensor StnClassifierImpl::warp_input(const torch::Tensor& x, const torch::Tensor& theta) const {
  if (!transformer_) return x;
  const auto& t = transformer_->options;
  return warp_images(x, theta, t.count(),
                     GridGenerator(t.transform(), x.size(2), x.size(3), t.tps_grid(), t.projective_eps()));
}

torch::Tensor StnClassifierImpl::forward(const torch::Tensor& x) {
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == options.in_channels() && x.size(2) == options.input_size()[0] &&
                   x.size(3) == options.input_size()[1],
               "StnClassifier: expected images of shape [N, ", options.in_channels(), ", ", options.input_size()[0],
               ", ", options.input_size()[1], "], got ", x.sizes());
  const size_t split = transformer_ ? static_cast<size_t>(options.transformer_after()) : convs_->size();
  torch::Tensor h = conv_stages(x, 0, split);
  if (transformer_) h = transformer_->forward(h);
  h = conv_stages(h, split, convs_->size()).flatten(1);
  for (size_t i = 0; i < fcs_->size(); ++i) {
    h = fcs_[i]->as<nn::Linear>()->forward(h);
    if (i + 1 < fcs_->size()) h = torch::relu(h);
  }
  return h;
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
