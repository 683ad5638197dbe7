#pragma once
/// The VAE of PyTorch's examples/vae on Fashion-MNIST: the training loss is the negative ELBO summed
/// over the batch (BCE + KL), as in the example; evaluation reports the test negative ELBO per image
/// (the example's "test loss") and the importance-weighted bound on -log p(x) with eval.iwae_samples.
#include "beyond/engine/task.h"
#include "beyond/models/generative/vae.h"
#include "beyond/tasks/fashion_data.h"

namespace beyond {

class VaeTask : public FashionTask {
 public:
  explicit VaeTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;

 private:
  torch::Tensor decode_images(const torch::Tensor& z);
  models::Vae model_{nullptr};
  int64_t iwae_samples_ = 100;
  int64_t iwae_images_ = 0;
};

}  // namespace beyond
