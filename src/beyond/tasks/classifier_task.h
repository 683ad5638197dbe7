#pragma once
/// The small CNN classifier on Fashion-MNIST (cross-entropy, optional horizontal flips). Its trained
/// weights become weights/fashion_cnn.safetensors, the feature network of the FID.
#include "beyond/engine/task.h"
#include "beyond/models/classifiers/small_cnn.h"
#include "beyond/tasks/fashion_data.h"

namespace beyond {

class ClassifierTask : public Task {
 public:
  explicit ClassifierTask(const Config& cfg);
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override { return data_.loader->batches_per_epoch(); }
  void seek(int64_t step) override { data_.loader->seek(step); }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;

 private:
  models::SmallCnn model_{nullptr};
  bool augment_ = true;
  FashionData data_;
};

}  // namespace beyond
