#include "beyond/models/generative/dcgan.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

namespace {
void dcgan_init_one(nn::Module& m) {
  const bool is_weighted = m.as<nn::Conv2d>() || m.as<nn::ConvTranspose2d>() || m.as<nn::Linear>();
  const bool is_bn = m.as<nn::BatchNorm2d>() || m.as<nn::BatchNorm1d>();
  if (!is_weighted && !is_bn) return;
  auto params = m.named_parameters(/*recurse=*/false);
  if (auto* w = params.find("weight")) {
    if (is_bn) {
      w->normal_(1.0, 0.02);
    } else {
      w->normal_(0.0, 0.02);
    }
  }
  if (auto* b = params.find("bias")) b->zero_();
}
}  // namespace

void dcgan_init(nn::Module& module) {
  torch::NoGradGuard no_grad;
  // modules(include_self=false): this also runs from constructors, before a shared_ptr owns `module`.
  dcgan_init_one(module);
  for (auto& child : module.modules(/*include_self=*/false)) dcgan_init_one(*child);
}

DcganGeneratorImpl::DcganGeneratorImpl(DcganGeneratorOptions options) : options(options) { reset(); }

void DcganGeneratorImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.latent() > 0 && o.base_channels() > 0 && o.channels() > 0,
               "DcganGeneratorOptions: latent, base_channels and channels must be positive, got latent=",
               o.latent(), " base_channels=", o.base_channels(), " channels=", o.channels());
  const int64_t b = o.base_channels();
  fc_ = register_module("fc", nn::Linear(nn::LinearOptions(o.latent(), 2 * b * 7 * 7).bias(false)));
  bn0_ = register_module("bn0", nn::BatchNorm2d(2 * b));
  deconv1_ = register_module(
      "deconv1", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2 * b, b, 4).stride(2).padding(1).bias(false)));
  bn1_ = register_module("bn1", nn::BatchNorm2d(b));
  deconv2_ = register_module(
      "deconv2", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(b, o.channels(), 4).stride(2).padding(1)));
  dcgan_init(*this);
}

torch::Tensor DcganGeneratorImpl::forward(const torch::Tensor& z) {
  const int64_t latent = options.latent();
  const bool flat_ok = z.dim() == 2 && z.size(1) == latent;
  const bool conv_ok = z.dim() == 4 && z.size(1) == latent && z.size(2) == 1 && z.size(3) == 1;
  BEYOND_CHECK(flat_ok || conv_ok, "DcganGenerator::forward expects z of shape [N,", latent, "] or [N,", latent,
               ",1,1], got ", z.sizes());
  const int64_t b = options.base_channels();
  torch::Tensor h = fc_->forward(z.reshape({z.size(0), latent})).view({z.size(0), 2 * b, 7, 7});
  h = torch::relu(bn0_->forward(h));
  h = torch::relu(bn1_->forward(deconv1_->forward(h)));
  return torch::tanh(deconv2_->forward(h));
}

DcganDiscriminatorImpl::DcganDiscriminatorImpl(DcganDiscriminatorOptions options) : options(options) { reset(); }

void DcganDiscriminatorImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK(o.base_channels() > 0 && o.channels() > 0,
               "DcganDiscriminatorOptions: base_channels and channels must be positive, got base_channels=",
               o.base_channels(), " channels=", o.channels());
  const int64_t b = o.base_channels();
  conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(o.channels(), b, 4).stride(2).padding(1)));
  conv2_ = register_module("conv2",
                           nn::Conv2d(nn::Conv2dOptions(b, 2 * b, 4).stride(2).padding(1).bias(false)));
  bn2_ = register_module("bn2", nn::BatchNorm2d(2 * b));
  fc_ = register_module("fc", nn::Linear(2 * b * 7 * 7, 1));
  dcgan_init(*this);
}

torch::Tensor DcganDiscriminatorImpl::forward(const torch::Tensor& x) {
  const int64_t c = options.channels();
  BEYOND_CHECK(x.dim() == 4 && x.size(1) == c && x.size(2) == 28 && x.size(3) == 28,
               "DcganDiscriminator::forward expects x of shape [N,", c, ",28,28], got ", x.sizes());
  const double slope = options.negative_slope();
  torch::Tensor h = torch::leaky_relu(conv1_->forward(x), slope);
  h = torch::leaky_relu(bn2_->forward(conv2_->forward(h)), slope);
  return fc_->forward(h.flatten(1)).squeeze(1);
}

}  // namespace beyond::models
