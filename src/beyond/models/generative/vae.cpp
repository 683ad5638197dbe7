#include "beyond/models/generative/vae.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"

namespace beyond::models {

namespace {
std::string shape_text(const std::vector<int64_t>& per_example) {
  std::string s = "[N";
  for (int64_t d : per_example) s += "," + std::to_string(d);
  return s + "]";
}
}  // namespace

VaeImpl::VaeImpl(VaeOptions options) : options(std::move(options)) { reset(); }

void VaeImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.input_dim() > 0 && o.hidden() > 0 && o.latent() > 0,
               "VaeOptions: input_dim, hidden and latent must be positive, got input_dim=", o.input_dim(),
               " hidden=", o.hidden(), " latent=", o.latent());
  if (o.image_shape().empty()) {
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(o.input_dim()))));
    image_shape_ = side * side == o.input_dim() ? std::vector<int64_t>{1, side, side}
                                                : std::vector<int64_t>{o.input_dim()};
  } else {
    int64_t product = 1;
    for (int64_t d : o.image_shape()) product *= d;
    BEYOND_CHECK(product == o.input_dim(), "VaeOptions::image_shape ", shape_text(o.image_shape()),
                 " has ", product, " elements per example but input_dim is ", o.input_dim());
    image_shape_ = o.image_shape();
  }
  fc1_ = register_module("fc1", torch::nn::Linear(o.input_dim(), o.hidden()));
  fc21_ = register_module("fc21", torch::nn::Linear(o.hidden(), o.latent()));
  fc22_ = register_module("fc22", torch::nn::Linear(o.hidden(), o.latent()));
  fc3_ = register_module("fc3", torch::nn::Linear(o.latent(), o.hidden()));
  fc4_ = register_module("fc4", torch::nn::Linear(o.hidden(), o.input_dim()));
}

std::tuple<torch::Tensor, torch::Tensor> VaeImpl::encode(const torch::Tensor& x) {
  const int64_t d = options.input_dim();
  bool image_ok = x.dim() == 1 + static_cast<int64_t>(image_shape_.size());
  for (size_t i = 0; image_ok && i < image_shape_.size(); ++i) image_ok = x.size(i + 1) == image_shape_[i];
  const bool flat_ok = x.dim() == 2 && x.size(1) == d;
  BEYOND_CHECK(image_ok || flat_ok, "Vae::forward expects x of shape ", shape_text(image_shape_), " or [N,", d,
               "], got ", x.sizes());
  BEYOND_CHECK(x.is_floating_point(), "Vae::forward expects floating point x, got ", x.scalar_type());
  torch::Tensor h = torch::relu(fc1_->forward(x.reshape({x.size(0), d})));
  return {fc21_->forward(h), fc22_->forward(h)};
}

torch::Tensor VaeImpl::reparameterize(const torch::Tensor& mu, const torch::Tensor& logvar) const {
  BEYOND_CHECK(mu.sizes() == logvar.sizes(), "Vae::reparameterize expects mu and logvar of one shape, got ",
               mu.sizes(), " and ", logvar.sizes());
  return mu + torch::randn_like(mu) * torch::exp(0.5 * logvar);
}

torch::Tensor VaeImpl::decode(const torch::Tensor& z) {
  BEYOND_CHECK(z.dim() == 2 && z.size(1) == options.latent(), "Vae::decode expects z of shape [N,",
               options.latent(), "], got ", z.sizes());
  std::vector<int64_t> shape{z.size(0)};
  shape.insert(shape.end(), image_shape_.begin(), image_shape_.end());
  return fc4_->forward(torch::relu(fc3_->forward(z))).reshape(shape);
}

VaeOutput VaeImpl::forward(const torch::Tensor& x) {
  VaeOutput out;
  std::tie(out.mu, out.logvar) = encode(x);
  out.z = reparameterize(out.mu, out.logvar);
  out.logits = decode(out.z);
  return out;
}

}  // namespace beyond::models
