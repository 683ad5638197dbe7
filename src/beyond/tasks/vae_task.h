#pragma once
/// The VAE of PyTorch's examples/vae on Fashion-MNIST: the training loss is the negative ELBO summed
/// over the batch (BCE + KL), as in the example; evaluation reports the test negative ELBO per image
/// (the example's "test loss") and the importance-weighted bound on -log p(x) with eval.iwae_samples.
#include "beyond/engine/task.h"
#include "beyond/models/generative/vae.h"
#include "beyond/tasks/fashion_data.h"

namespace beyond {

class VaeTask : public Task {
 public:
  explicit VaeTask(const Config& cfg);
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override { return data_.loader->batches_per_epoch(); }
  void seek(int64_t step) override { data_.loader->seek(step); }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;

 private:
  torch::Tensor decode_images(const torch::Tensor& z);
  models::Vae model_{nullptr};
  int64_t iwae_samples_ = 100;
  int64_t iwae_images_ = 0;
  FashionData data_;
};

}  // namespace beyond
