#pragma once
/// Autoencoder and denoising autoencoder on Fashion-MNIST. With noise.* zero it is the plain
/// undercomplete AE; with noise the input is corrupted afresh for every batch and the target stays
/// clean. Evaluation scores both on the same corrupted test images (eval.*), which is what shows the
/// DAE's advantage.
#include "beyond/engine/task.h"
#include "beyond/models/generative/autoencoder.h"
#include "beyond/models/generative/noise.h"
#include "beyond/tasks/fashion_data.h"

namespace beyond {

class AutoencoderTask : public FashionTask {
 public:
  explicit AutoencoderTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;

 private:
  torch::Tensor reconstruct(const torch::Tensor& x);
  models::Autoencoder model_{nullptr};
  models::NoiseOptions train_noise_, eval_noise_;
};

/// Mean over images of the per-image summed BCE (nats per image) of reconstructing `target`.
torch::Tensor bce_per_image(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace beyond
