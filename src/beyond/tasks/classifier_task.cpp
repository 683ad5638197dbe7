#include "beyond/tasks/classifier_task.h"

#include <torch/torch.h>

#include "beyond/engine/config.h"

namespace beyond {

ClassifierTask::ClassifierTask(const Config& cfg) : FashionTask(cfg) {
  model_ = models::SmallCnn(models::SmallCnnOptions(cfg.get_int("model.num_classes"), cfg.get_int("model.feature_dim")));
  augment_ = cfg.get_bool("data.augment");
}

NamedModules ClassifierTask::modules() {
  return {{"classifier", model_.ptr()}};
}

std::vector<OptimizedPart> ClassifierTask::parts() { return {{"model", model_->parameters(), "optim"}}; }

Metrics ClassifierTask::train_step(StepContext& ctx) {
  auto batch = data_.loader->next();
  auto x = batch.data;
  if (augment_) {
    // Horizontal flips keep every Fashion-MNIST class what it is (no digits here to mirror).
    auto flip = torch::rand({x.size(0), 1, 1, 1}) < 0.5;
    x = torch::where(flip, x.flip(3), x);
  }
  auto logits = model_->forward(x);
  auto loss = torch::cross_entropy_loss(logits, batch.target);
  ctx.optimize("model", loss);
  return {{"loss", loss.item<double>()}, {"accuracy", logits.argmax(1).eq(batch.target).to(torch::kFloat64).mean().item<double>()}};
}

Metrics ClassifierTask::evaluate() {
  auto logits = map_chunks(data_.test_images, 1000, [&](const torch::Tensor& x) { return model_->forward(x); });
  return {{"test_loss", torch::cross_entropy_loss(logits, data_.test_labels).item<double>()},
          {"test_accuracy", logits.argmax(1).eq(data_.test_labels).to(torch::kFloat64).mean().item<double>()}};
}

}  // namespace beyond
