#include "beyond/tasks/autoencoder_task.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/engine/config.h"
#include "beyond/tasks/pictures.h"

namespace beyond {
namespace fs = std::filesystem;

torch::Tensor bce_per_image(const torch::Tensor& logits, const torch::Tensor& target) {
  return torch::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::Sum) / target.size(0);
}

AutoencoderTask::AutoencoderTask(const Config& cfg) : FashionTask(cfg) {
  model_ = models::Autoencoder(models::AutoencoderOptions()
                                   .kind(cfg.get_string("model.kind"))
                                   .hidden(cfg.get_ints("model.hidden"))
                                   .conv_channels(cfg.get_ints("model.channels"))
                                   .latent(cfg.get_int("model.latent")));
  train_noise_.gaussian_std(cfg.get_double("noise.gaussian_std")).mask_prob(cfg.get_double("noise.mask_prob"));
  eval_noise_.gaussian_std(cfg.get_double("eval.noise_std")).mask_prob(cfg.get_double("eval.mask_prob"));
}

NamedModules AutoencoderTask::modules() {
  return {{"autoencoder", model_.ptr()}};
}

std::vector<OptimizedPart> AutoencoderTask::parts() { return {{"model", model_->parameters(), "optim"}}; }

Metrics AutoencoderTask::train_step(StepContext& ctx) {
  auto x = data_.loader->next().data;
  const bool noisy = train_noise_.gaussian_std() > 0 || train_noise_.mask_prob() > 0;
  auto loss = bce_per_image(model_->forward(noisy ? models::corrupt(x, train_noise_) : x), x);
  ctx.optimize("model", loss);
  return {{"loss", loss.item<double>()}};
}

torch::Tensor AutoencoderTask::reconstruct(const torch::Tensor& x) { return torch::sigmoid(model_->forward(x)); }

Metrics AutoencoderTask::evaluate() {
  const auto& x = data_.test_images;
  auto corrupted = models::corrupt(x, eval_noise_);  // same images, same noise (seeded) for AE and DAE
  double clean = 0, denoise = 0, denoise_mse = 0;
  for (int64_t i = 0; i < x.size(0); i += 1000) {
    auto xs = x.slice(0, i, std::min(x.size(0), i + 1000));
    auto cs = corrupted.slice(0, i, std::min(x.size(0), i + 1000));
    clean += bce_per_image(model_->forward(xs), xs).item<double>() * xs.size(0);
    auto logits = model_->forward(cs);
    denoise += bce_per_image(logits, xs).item<double>() * xs.size(0);
    denoise_mse += (torch::sigmoid(logits) - xs).pow(2).sum().item<double>();
  }
  const double n = static_cast<double>(x.size(0));
  return {{"recon_bce", clean / n}, {"denoise_bce", denoise / n}, {"denoise_mse", denoise_mse / n}};
}

std::vector<std::string> AutoencoderTask::visualize(const std::string& dir) {
  auto x = data_.test_images.slice(0, 0, 16);
  auto corrupted = models::corrupt(x, eval_noise_);
  save_rows({x, corrupted, reconstruct(corrupted), reconstruct(x)}, (fs::path(dir) / "reconstructions.png").string());
  auto decode = [&](const torch::Tensor& z) { return torch::sigmoid(model_->decode(z)); };
  auto za = model_->encode(data_.test_images.slice(0, 16, 24));
  auto zb = model_->encode(data_.test_images.slice(0, 24, 32));
  save_interpolations(za, zb, 10, decode, (fs::path(dir) / "interpolations.png").string());
  return {"reconstructions.png", "interpolations.png"};
}

void AutoencoderTask::sample(int64_t n, const std::string& path) {
  // An autoencoder has no prior to sample from: show reconstructions of n test images instead.
  torch::NoGradGuard no_grad;
  model_->eval();
  auto x = data_.test_images.slice(0, 0, std::min(n, data_.test_images.size(0)));
  // Input and reconstruction side by side, pair after pair.
  save_square_grid(torch::stack({x, reconstruct(x)}, 1).flatten(0, 1), path);
}

}  // namespace beyond
