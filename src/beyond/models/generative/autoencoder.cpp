#include "beyond/models/generative/autoencoder.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

namespace nn = torch::nn;

AutoencoderImpl::AutoencoderImpl(AutoencoderOptions options) : options(std::move(options)) { reset(); }

void AutoencoderImpl::reset() {
  const auto& o = options;
  BEYOND_CHECK_USAGE(o.kind() == "mlp" || o.kind() == "conv",
                     "AutoencoderOptions::kind must be 'mlp' or 'conv', got '", o.kind(), "'");
  BEYOND_CHECK(o.channels() > 0 && o.image_size() > 0 && o.latent() > 0,
               "AutoencoderOptions: channels, image_size and latent must be positive, got channels=",
               o.channels(), " image_size=", o.image_size(), " latent=", o.latent());
  encoder_ = nn::Sequential();
  decoder_ = nn::Sequential();
  const int64_t pixels = o.channels() * o.image_size() * o.image_size();

  if (o.kind() == "mlp") {
    BEYOND_CHECK(!o.hidden().empty(), "AutoencoderOptions::hidden must not be empty for kind 'mlp'");
    int64_t in = pixels;
    for (int64_t h : o.hidden()) {
      BEYOND_CHECK(h > 0, "AutoencoderOptions::hidden sizes must be positive, got ", h);
      encoder_->push_back(nn::Linear(in, h));
      encoder_->push_back(nn::ReLU());
      in = h;
    }
    encoder_->push_back(nn::Linear(in, o.latent()));
    in = o.latent();
    for (auto it = o.hidden().rbegin(); it != o.hidden().rend(); ++it) {
      decoder_->push_back(nn::Linear(in, *it));
      decoder_->push_back(nn::ReLU());
      in = *it;
    }
    decoder_->push_back(nn::Linear(in, pixels));
  } else {
    const auto& ch = o.conv_channels();
    BEYOND_CHECK(!ch.empty(), "AutoencoderOptions::conv_channels must not be empty for kind 'conv'");
    const int64_t factor = int64_t{1} << ch.size();
    BEYOND_CHECK(o.image_size() % factor == 0, "AutoencoderOptions::image_size (", o.image_size(),
                 ") must be divisible by 2^conv_channels.size() = ", factor);
    const int64_t side = o.image_size() / factor;
    int64_t in = o.channels();
    for (int64_t c : ch) {
      BEYOND_CHECK(c > 0, "AutoencoderOptions::conv_channels must be positive, got ", c);
      encoder_->push_back(nn::Conv2d(nn::Conv2dOptions(in, c, 4).stride(2).padding(1)));
      encoder_->push_back(nn::ReLU());
      in = c;
    }
    const int64_t flat = ch.back() * side * side;
    encoder_->push_back(nn::Flatten());
    encoder_->push_back(nn::Linear(flat, o.latent()));

    decoder_->push_back(nn::Linear(o.latent(), flat));
    decoder_->push_back(nn::ReLU());
    decoder_->push_back(nn::Unflatten(nn::UnflattenOptions(1, {ch.back(), side, side})));
    for (size_t i = ch.size(); i-- > 0;) {
      const int64_t out = i == 0 ? o.channels() : ch[i - 1];
      decoder_->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(ch[i], out, 4).stride(2).padding(1)));
      if (i != 0) decoder_->push_back(nn::ReLU());
    }
  }
  register_module("encoder", encoder_);
  register_module("decoder", decoder_);
}

torch::Tensor AutoencoderImpl::encode(const torch::Tensor& x) {
  const auto& o = options;
  const int64_t pixels = o.channels() * o.image_size() * o.image_size();
  const bool flat_ok = x.dim() == 2 && x.size(1) == pixels;
  const bool image_ok = x.dim() == 4 && x.size(1) == o.channels() && x.size(2) == o.image_size() &&
                        x.size(3) == o.image_size();
  BEYOND_CHECK(flat_ok || image_ok, "Autoencoder::encode expects x of shape [N,", o.channels(), ",",
               o.image_size(), ",", o.image_size(), "] or [N,", pixels, "], got ", x.sizes());
  BEYOND_CHECK(x.is_floating_point(), "Autoencoder::encode expects floating point x, got ", x.scalar_type());
  const int64_t n = x.size(0);
  if (o.kind() == "mlp") return encoder_->forward(x.reshape({n, pixels}));
  return encoder_->forward(x.reshape({n, o.channels(), o.image_size(), o.image_size()}));
}

torch::Tensor AutoencoderImpl::decode(const torch::Tensor& z) {
  const auto& o = options;
  BEYOND_CHECK(z.dim() == 2 && z.size(1) == o.latent(), "Autoencoder::decode expects z of shape [N,",
               o.latent(), "], got ", z.sizes());
  return decoder_->forward(z).reshape({z.size(0), o.channels(), o.image_size(), o.image_size()});
}

torch::Tensor AutoencoderImpl::forward(const torch::Tensor& x) { return decode(encode(x)); }

}  // namespace beyond::models
