#include "beyond/tasks/gan_task.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/log.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/pictures.h"

namespace beyond {
namespace fs = std::filesystem;

GanTask::GanTask(const Config& cfg)
    : FashionTask(cfg), loss_kind_(losses::parse_gan_loss(cfg.get_string("model.loss"))) {
  generator_ = models::DcganGenerator(
      models::DcganGeneratorOptions(cfg.get_int("model.latent"), cfg.get_int("model.g_channels")));
  discriminator_ = models::DcganDiscriminator(models::DcganDiscriminatorOptions(cfg.get_int("model.d_channels")));
  fid_samples_ = cfg.get_int("eval.fid_samples");
  classifier_ = cfg.get_string("eval.classifier");
}

NamedModules GanTask::modules() {
  return {{"generator", generator_.ptr()}, {"discriminator", discriminator_.ptr()}};
}

std::vector<OptimizedPart> GanTask::parts() {
  return {{"discriminator", discriminator_->parameters(), "optim_d"},
          {"generator", generator_->parameters(), "optim_g"}};
}

Metrics GanTask::train_step(StepContext& ctx) {
  auto real = data_.loader->next().data * 2 - 1;
  const int64_t n = real.size(0);
  auto fake = generator_->forward(torch::randn({n, generator_->options.latent()}));

  auto real_logits = discriminator_->forward(real);
  auto d_loss = losses::discriminator_loss(real_logits, discriminator_->forward(fake.detach()), loss_kind_);
  ctx.optimize("discriminator", d_loss);

  auto fake_logits = discriminator_->forward(fake);
  auto g_loss = losses::generator_loss(fake_logits, loss_kind_);
  ctx.optimize("generator", g_loss);

  return {{"loss_d", d_loss.item<double>()},
          {"loss_g", g_loss.item<double>()},
          {"d_real", torch::sigmoid(real_logits).mean().item<double>()},
          {"d_fake", torch::sigmoid(fake_logits).mean().item<double>()}};
}

torch::Tensor GanTask::generate(int64_t n) {
  torch::NoGradGuard no_grad;
  return map_chunks(torch::randn({n, generator_->options.latent()}), 1000,
                    [&](const torch::Tensor& z) { return (generator_->forward(z) + 1) / 2; });
}

Metrics GanTask::evaluate() {
  if (fid_samples_ <= 0) return {};
  if (!fid_) {
    try {
      fid_ = std::make_unique<FidScorer>(classifier_);
    } catch (const Error& e) {
      log::warn(str("FID skipped: ", e.what()));
      fid_samples_ = 0;
      return {};
    }
    // Computed once per run: the test-set statistics, and the floor, i.e. the FID that the same number
    // of real training images gets against the test set (what a perfect generator would score).
    reference_ = fid_->stats(data_.test_images);
    const auto& train = data_.train->data();
    fid_floor_ = fid_->fid(train.slice(0, 0, std::min(fid_samples_, train.size(0))), reference_);
    classifier_accuracy_ = fid_->accuracy(data_.test_images, data_.test_labels);
  }
  return {{"fid", fid_->fid(generate(fid_samples_), reference_)},
          {"fid_floor", fid_floor_},
          {"fid_classifier_accuracy", classifier_accuracy_}};
}

std::vector<std::string> GanTask::visualize(const std::string& dir) {
  sample(64, (fs::path(dir) / "samples.png").string());
  auto za = torch::randn({8, generator_->options.latent()});
  auto zb = torch::randn({8, generator_->options.latent()});
  save_interpolations(za, zb, 10, [&](const torch::Tensor& z) { return (generator_->forward(z) + 1) / 2; },
                      (fs::path(dir) / "interpolations.png").string());
  return {"samples.png", "interpolations.png"};
}

void GanTask::sample(int64_t n, const std::string& path) {
  generator_->eval();
  save_square_grid(generate(n), path);
}

}  // namespace beyond
