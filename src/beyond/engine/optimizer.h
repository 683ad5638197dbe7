#pragma once
/// Optimizers and learning-rate schedules built from a config section:
///
///   optim: {name: adam, lr: 1.0e-3, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0, momentum: 0.9,
///           schedule: cosine, warmup_steps: 100, step_size: 1000, gamma: 0.1, min_lr: 0}
///
/// `name` is sgd (with momentum), adam or adamw. `schedule` is constant, step (multiply by gamma
/// every step_size steps) or cosine (from lr to min_lr over the run); any of them may start with a
/// linear warm-up over warmup_steps.
#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <vector>

namespace beyond {

class Config;

/// Parameters that train at `lr_scale` times the section's learning rate.
struct ParameterGroup {
  std::vector<torch::Tensor> parameters;
  double lr_scale = 1.0;
};

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& cfg, const std::string& section,
                                                        const std::vector<torch::Tensor>& params);
/// One optimizer parameter group per entry, in order, each at the section's lr times its scale.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& cfg, const std::string& section,
                                                        const std::vector<ParameterGroup>& groups);

/// `all` split into groups: those not in any of `scaled` first (scale 1, omitted when empty), then
/// each of `scaled`. A parameter in two subsets, or in a subset but not in `all`, is an error.
std::vector<ParameterGroup> parameter_groups(const std::vector<torch::Tensor>& all,
                                             const std::vector<ParameterGroup>& scaled);

/// Sets group g's learning rate to lr * lr_scales[g] (every group to lr when lr_scales is empty).
void set_learning_rate(torch::optim::Optimizer& opt, double lr, const std::vector<double>& lr_scales = {});

struct LrSchedule {
  std::string kind = "constant";
  double base_lr = 1e-3;
  double min_lr = 0.0;
  int64_t warmup_steps = 0;
  int64_t step_size = 0;
  double gamma = 0.1;
  int64_t total_steps = 1;

  static LrSchedule from_config(const Config& cfg, const std::string& section, int64_t total_steps);
  /// Learning rate for the (0-based) step. A pure function of the step, so resume needs no state.
  double at(int64_t step) const;
};

}  // namespace beyond
