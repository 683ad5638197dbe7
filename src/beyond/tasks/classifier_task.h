#pragma once
/// The small CNN classifier on Fashion-MNIST (cross-entropy, optional horizontal flips). Its trained
/// weights become weights/fashion_cnn.safetensors, the feature network of the FID.
#include "beyond/engine/task.h"
#include "beyond/models/classifiers/small_cnn.h"
#include "beyond/tasks/fashion_data.h"

namespace beyond {

class ClassifierTask : public FashionTask {
 public:
  explicit ClassifierTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;

 private:
  models::SmallCnn model_{nullptr};
  bool augment_ = true;
};

}  // namespace beyond
