#pragma once
/// Adam and AdamW with the whole update of a parameter (weight decay, both moments, bias correction
/// and the step) fused into one parallel pass over its elements, instead of the ten tensor ops of
/// torch::optim::Adam, each a pass over memory. Options, state and serialisation are those of
/// torch::optim::Adam / AdamW, so checkpoints move between the fused and the plain optimizer.
///
///   beyond::FusedAdam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
///   ... loss.backward(); opt.step();
///
/// float32 CPU parameters take the fused path; anything else (other dtypes, amsgrad) falls back to
/// the plain implementation.
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>

namespace beyond {

class FusedAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

namespace detail {

/// One Adam step on n contiguous float32 elements. With `decoupled` (AdamW) the weight decay
/// shrinks the parameter; otherwise (Adam) it is added to the gradient.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled;
  int64_t step;  ///< 1 on the first update
};
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n, const AdamStep& s);

}  // namespace detail
}  // namespace beyond
