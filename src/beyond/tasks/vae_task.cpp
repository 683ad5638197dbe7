#include "beyond/tasks/vae_task.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/engine/config.h"
#include "beyond/eval/vae_likelihood.h"
#include "beyond/losses/vae_loss.h"
#include "beyond/tasks/pictures.h"

namespace beyond {
namespace fs = std::filesystem;

VaeTask::VaeTask(const Config& cfg) : FashionTask(cfg) {
  model_ = models::Vae(
      models::VaeOptions(cfg.get_int("model.input_dim"), cfg.get_int("model.hidden"), cfg.get_int("model.latent"))
          .image_shape({1, 28, 28}));
  iwae_samples_ = cfg.get_int("eval.iwae_samples");
  iwae_images_ = cfg.get_int("eval.iwae_images");
}

NamedModules VaeTask::modules() {
  return {{"vae", model_.ptr()}};
}

std::vector<OptimizedPart> VaeTask::parts() { return {{"model", model_->parameters(), "optim"}}; }

Metrics VaeTask::train_step(StepContext& ctx) {
  auto x = data_.loader->next().data;
  auto out = model_->forward(x);
  auto loss = losses::vae_loss(out.logits, x, out.mu, out.logvar);
  auto total = loss.total();
  ctx.optimize("model", total);
  const double n = static_cast<double>(x.size(0));
  return {{"loss", total.item<double>() / n},
          {"recon", loss.reconstruction.item<double>() / n},
          {"kl", loss.kl.item<double>() / n}};
}

Metrics VaeTask::evaluate() {
  const auto& x = data_.test_images;
  auto neg_elbo = map_chunks(x, 1000, [&](const torch::Tensor& xs) { return eval::negative_elbo(*model_, xs); });
  Metrics m{{"neg_elbo", neg_elbo.mean().item<double>()}, {"elbo", -neg_elbo.mean().item<double>()}};
  if (iwae_samples_ > 0 && iwae_images_ != 0) {
    const int64_t n = iwae_images_ < 0 ? x.size(0) : std::min(iwae_images_, x.size(0));
    auto nll = map_chunks(x.slice(0, 0, n), 250,
                          [&](const torch::Tensor& xs) { return eval::iwae_nll(*model_, xs, iwae_samples_); });
    m["iwae_nll"] = nll.mean().item<double>();
    m["iwae_k"] = static_cast<double>(iwae_samples_);
  }
  return m;
}

torch::Tensor VaeTask::decode_images(const torch::Tensor& z) { return torch::sigmoid(model_->decode(z)); }

std::vector<std::string> VaeTask::visualize(const std::string& dir) {
  std::vector<std::string> written = {"reconstructions.png", "samples.png", "interpolations.png"};
  auto x = data_.test_images.slice(0, 0, 16);
  save_rows({x, torch::sigmoid(model_->forward(x).logits)}, (fs::path(dir) / "reconstructions.png").string());
  sample(64, (fs::path(dir) / "samples.png").string());
  auto [mu_a, lv_a] = model_->encode(data_.test_images.slice(0, 16, 24));
  auto [mu_b, lv_b] = model_->encode(data_.test_images.slice(0, 24, 32));
  auto decode = [&](const torch::Tensor& z) { return decode_images(z); };
  save_interpolations(mu_a, mu_b, 10, decode, (fs::path(dir) / "interpolations.png").string());
  if (model_->options.latent() == 2) {
    save_latent_map(20, decode, (fs::path(dir) / "latent_map.png").string());
    written.push_back("latent_map.png");
  }
  return written;
}

void VaeTask::sample(int64_t n, const std::string& path) {
  torch::NoGradGuard no_grad;
  model_->eval();
  // Show the decoder's Bernoulli means: sampling pixels would add salt-and-pepper noise only.
  save_square_grid(decode_images(torch::randn({n, model_->options.latent()})), path);
}

}  // namespace beyond
