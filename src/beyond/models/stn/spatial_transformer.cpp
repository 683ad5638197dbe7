#include "beyond/models/stn/spatial_transformer.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

namespace {
GridGenerator make_generator(const SpatialTransformerOptions& o) {
  BEYOND_CHECK(o.output_size().size() == 2, "SpatialTransformerOptions: output_size must be {H, W}, got ",
               o.output_size().size(), " numbers");
  return GridGenerator(o.transform(), o.output_size()[0], o.output_size()[1], o.tps_grid(), o.projective_eps());
}
}  // namespace

SpatialTransformerImpl::SpatialTransformerImpl(SpatialTransformerOptions options)
    : options(std::move(options)), generator_(make_generator(this->options)) {
  reset();
}

void SpatialTransformerImpl::reset() {
  const auto& o = options;
  generator_ = make_generator(o);
  BEYOND_CHECK(o.in_channels() > 0, "SpatialTransformerOptions: in_channels must be positive, got ", o.in_channels());
  BEYOND_CHECK(o.input_size().size() == 2 && o.input_size()[0] > 0 && o.input_size()[1] > 0,
               "SpatialTransformerOptions: input_size must be {H, W} with positive entries");
  BEYOND_CHECK(o.count() >= 1, "SpatialTransformerOptions: count must be at least 1, got ", o.count());
  BEYOND_CHECK(o.localisation() == "conv" || o.localisation() == "mlp",
               "SpatialTransformerOptions: localisation must be 'conv' or 'mlp', got '", o.localisation(), "'");
  convs_ = register_module("convs", nn::ModuleList());
  fcs_ = register_module("fcs", nn::ModuleList());
  int64_t c = o.in_channels(), h = o.input_size()[0], w = o.input_size()[1];
  if (o.localisation() == "conv") {
    for (int64_t out : o.loc_channels()) {
      BEYOND_CHECK(h >= 2 && w >= 2, "SpatialTransformerOptions: too many loc_channels stages for a ",
                   o.input_size()[0], "x", o.input_size()[1], " input (each halves the size)");
      convs_->push_back(nn::Conv2d(nn::Conv2dOptions(c, out, 5).padding(2)));
      c = out, h /= 2, w /= 2;
    }
  }
  int64_t features = c * h * w;
  for (int64_t hidden : o.loc_hidden()) {
    fcs_->push_back(nn::Linear(features, hidden));
    features = hidden;
  }
  const int64_t p = generator_.parameter_count();
  head_ = register_module("head", nn::Linear(features, o.count() * p));
  // Zero weights and the identity as bias: the transformer starts as the identity, whatever the input.
  torch::NoGradGuard no_grad;
  head_->weight.zero_();
  head_->bias.copy_(generator_.identity().to(torch::kFloat32).repeat({o.count()}));
}

void SpatialTransformerImpl::check_input(const torch::Tensor& x) const {
  const auto& o = options;
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == o.in_channels() && x.size(2) == o.input_size()[0] &&
                   x.size(3) == o.input_size()[1],
               "spatial transformer: expected input of shape [N, ", o.in_channels(), ", ", o.input_size()[0], ", ",
               o.input_size()[1], "], got ", x.sizes());
}

torch::Tensor SpatialTransformerImpl::theta(const torch::Tensor& x) {
  check_input(x);
  torch::Tensor h = x;
  for (const auto& conv : *convs_) h = torch::relu(torch::max_pool2d(conv->as<nn::Conv2d>()->forward(h), 2));
  h = h.flatten(1);
  for (const auto& fc : *fcs_) h = torch::relu(fc->as<nn::Linear>()->forward(h));
  return head_->forward(h).view({x.size(0), options.count(), generator_.parameter_count()});
}

torch::Tensor SpatialTransformerImpl::transform(const torch::Tensor& x, const torch::Tensor& theta) const {
  check_input(x);
  return warp_images(x, theta, options.count(), generator_);
}

torch::Tensor warp_images(const torch::Tensor& x, const torch::Tensor& theta, int64_t count,
                          const GridGenerator& generator) {
  const int64_t n = x.size(0), k = count, p = generator.parameter_count();
  const bool ok = theta.defined() && theta.size(0) == n &&
                  ((theta.dim() == 3 && theta.size(1) == k && theta.size(2) == p) ||
                   (k == 1 && theta.dim() == 2 && theta.size(1) == p));
  BEYOND_CHECK(ok, "spatial transformer: expected theta of shape [", n, ", ", k, ", ", p, "] (", k, " ",
               transform_kind_name(generator.kind()), " transform(s) per image of ", n, "), got ",
               theta.defined() ? theta.sizes() : torch::IntArrayRef{});
  auto grid = generator.grid(theta.reshape({n * k, p}));  // [N k, H_out, W_out, 2], image-major
  auto repeated = k == 1 ? x : x.repeat_interleave(k, 0);
  auto out = sample_bilinear(repeated, grid);  // [N k, C, H_out, W_out]
  return out.view({n, k * x.size(1), out.size(2), out.size(3)});
}

torch::Tensor SpatialTransformerImpl::forward(const torch::Tensor& x) { return transform(x, theta(x)); }

}  // namespace beyond::models
