#pragma once
/// The long-range benchmarks of recurrent networks: the adding problem (task `adding`) and the copy
/// task (task `copy`), see data/generators/long_range.h. The model is a `Recurrent` ("rnn": RNN,
/// LSTM or GRU, own cells or fused) and a linear readout ("head"): one output for the adding problem
/// (MSE on the last step), 10 class logits per step for the copy task (cross-entropy over all steps).
/// Every batch is freshly generated from (seed, step); the test set is a fixed draw.
///
/// Training uses BPTT, full (train.bptt_k1 = 0) or truncated TBPTT(k1, k2); clipping is the
/// Trainer's (train.clip_grad_norm, train.clip_grad_value). Evaluation reports
///   adding: test_mse and solved = (test_mse < eval.solved_mse, 0.01 by default; baseline 0.167);
///   copy:   test_accuracy on the recalled symbols and solved = (accuracy >= eval.solved_accuracy).
/// The pictures are the gradient trace of the current model on test sequences (log10 ||dL/dh_t||).
#include <string>

#include "beyond/engine/task.h"
#include "beyond/models/sequence/bptt.h"
#include "beyond/models/sequence/recurrent.h"

namespace beyond {

class LongRangeTask : public Task {
 public:
  explicit LongRangeTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override { return steps_per_epoch_; }
  void seek(int64_t step) override { next_step_ = step; }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;

 private:
  struct Batch {
    torch::Tensor input, target;
  };
  Batch batch(int64_t count, uint64_t seed, uint64_t first_index) const;
  /// Head outputs for every step: [T, N, outputs].
  std::pair<torch::Tensor, models::RecurrentState> run(const torch::Tensor& input, const models::RecurrentState& s);
  /// Loss of the outputs of steps [begin, end) (outputs [end - begin, N, ...]); undefined when the
  /// window holds no target (adding problem before the last step).
  torch::Tensor window_loss(const torch::Tensor& outputs, const torch::Tensor& target, int64_t begin, int64_t end,
                            int64_t steps) const;
  Metrics score(const torch::Tensor& outputs, const torch::Tensor& target) const;

  bool copy_ = false;
  int64_t delay_ = 0, length_ = 0, batch_size_ = 0, eval_size_ = 0, steps_per_epoch_ = 0;
  uint64_t seed_ = 0;
  int64_t next_step_ = 0;
  double solved_threshold_ = 0;
  models::BpttOptions bptt_;
  models::Recurrent rnn_{nullptr};
  torch::nn::Linear head_{nullptr};
  Batch test_;
};

}  // namespace beyond
