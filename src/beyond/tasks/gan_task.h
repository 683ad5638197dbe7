#pragma once
/// DCGAN on Fashion-MNIST. One step updates the discriminator on a real and a generated batch, then
/// the generator through the updated discriminator. Images are scaled to [-1,1] for the networks.
/// Evaluation reports the FID of eval.fid_samples generated images against the test set.
#include <memory>

#include "beyond/engine/task.h"
#include "beyond/losses/gan_loss.h"
#include "beyond/models/generative/dcgan.h"
#include "beyond/tasks/fashion_data.h"
#include "beyond/tasks/fid_scorer.h"

namespace beyond {

class GanTask : public FashionTask {
 public:
  explicit GanTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;

  /// n generated images in [0,1].
  torch::Tensor generate(int64_t n);

 private:
  models::DcganGenerator generator_{nullptr};
  models::DcganDiscriminator discriminator_{nullptr};
  losses::GanLossKind loss_kind_;
  int64_t fid_samples_ = 10000;
  std::string classifier_;
  std::unique_ptr<FidScorer> fid_;
  eval::GaussianStats reference_;
  double fid_floor_ = 0;
  double classifier_accuracy_ = 0;
};

}  // namespace beyond
