#include "beyond/engine/optimizer.h"

#include <torch/torch.h>

#include <cmath>
#include <map>

#include "beyond/core/error.h"
#include "beyond/engine/config.h"
#include "beyond/engine/fused_adam.h"

namespace beyond {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& cfg, const std::string& section,
                                                        const std::vector<torch::Tensor>& params) {
  return make_optimizer(cfg, section, std::vector<ParameterGroup>{{params, 1.0}});
}

namespace {

std::unique_ptr<torch::optim::Optimizer> make_single_group_optimizer(const Config& cfg, const std::string& section,
                                                                     const std::vector<torch::Tensor>& params) {
  const std::string name = cfg.get_string(section + ".name");
  const double lr = cfg.get_double(section + ".lr");
  const double wd = cfg.get_double(section + ".weight_decay");
  BEYOND_CHECK_USAGE(lr > 0, section, ".lr must be positive, got ", lr);
  if (name == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(lr).momentum(cfg.get_double(section + ".momentum")).weight_decay(wd));
  }
  auto betas = cfg.get_doubles(section + ".betas");
  BEYOND_CHECK_USAGE(betas.size() == 2, section, ".betas must hold two numbers, got ", betas.size());
  const double eps = cfg.get_double(section + ".eps");
  if (name == "adam") {
    return std::make_unique<FusedAdam>(
        params, torch::optim::AdamOptions(lr).betas({betas[0], betas[1]}).eps(eps).weight_decay(wd));
  }
  if (name == "adamw") {
    return std::make_unique<FusedAdamW>(
        params, torch::optim::AdamWOptions(lr).betas({betas[0], betas[1]}).eps(eps).weight_decay(wd));
  }
  throw UsageError(str("unknown optimizer '", name, "' in ", section, ".name (use sgd, adam or adamw)"));
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& cfg, const std::string& section,
                                                        const std::vector<ParameterGroup>& groups) {
  BEYOND_CHECK(!groups.empty(), "make_optimizer: no parameter groups for ", section);
  // The optimizer is built on the first group, and the others are added to it with the same options,
  // so every kind of optimizer takes groups without a constructor per kind.
  auto opt = make_single_group_optimizer(cfg, section, groups.front().parameters);
  for (size_t g = 1; g < groups.size(); ++g) opt->add_param_group(torch::optim::OptimizerParamGroup(groups[g].parameters));
  std::vector<double> scales;
  for (const auto& g : groups) {
    BEYOND_CHECK_USAGE(g.lr_scale >= 0 && std::isfinite(g.lr_scale), section,
                       ": a learning-rate multiplier must be >= 0, got ", g.lr_scale);
    scales.push_back(g.lr_scale);
  }
  set_learning_rate(*opt, cfg.get_double(section + ".lr"), scales);
  return opt;
}

std::vector<ParameterGroup> parameter_groups(const std::vector<torch::Tensor>& all,
                                             const std::vector<ParameterGroup>& scaled) {
  std::map<const void*, int> subset_of;  // parameter -> index into scaled
  for (size_t s = 0; s < scaled.size(); ++s)
    for (const auto& p : scaled[s].parameters)
      BEYOND_CHECK(subset_of.emplace(p.unsafeGetTensorImpl(), static_cast<int>(s)).second,
                   "parameter_groups: a parameter is in two scaled subsets");
  ParameterGroup rest;
  size_t found = 0;
  for (const auto& p : all) {
    if (subset_of.count(p.unsafeGetTensorImpl())) ++found;
    else rest.parameters.push_back(p);
  }
  BEYOND_CHECK(found == subset_of.size(), "parameter_groups: ", subset_of.size() - found,
               " scaled parameters are not among the part's parameters");
  std::vector<ParameterGroup> groups;
  if (!rest.parameters.empty() || scaled.empty()) groups.push_back(std::move(rest));
  for (const auto& s : scaled)
    if (!s.parameters.empty()) groups.push_back(s);
  return groups;
}

void set_learning_rate(torch::optim::Optimizer& opt, double lr, const std::vector<double>& lr_scales) {
  auto& groups = opt.param_groups();
  BEYOND_CHECK(lr_scales.empty() || lr_scales.size() == groups.size(), "set_learning_rate: ", lr_scales.size(),
               " multipliers for ", groups.size(), " parameter groups");
  for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(lr_scales.empty() ? lr : lr * lr_scales[g]);
}

LrSchedule LrSchedule::from_config(const Config& cfg, const std::string& section, int64_t total_steps) {
  LrSchedule s;
  s.kind = cfg.get_string(section + ".schedule");
  s.base_lr = cfg.get_double(section + ".lr");
  s.min_lr = cfg.get_double(section + ".min_lr");
  s.warmup_steps = cfg.get_int(section + ".warmup_steps");
  s.step_size = cfg.get_int(section + ".step_size");
  s.gamma = cfg.get_double(section + ".gamma");
  s.total_steps = std::max<int64_t>(1, total_steps);
  BEYOND_CHECK_USAGE(s.kind == "constant" || s.kind == "step" || s.kind == "cosine", "unknown schedule '", s.kind,
                     "' in ", section, ".schedule (use constant, step or cosine)");
  BEYOND_CHECK_USAGE(s.kind != "step" || s.step_size > 0, section, ".step_size must be positive for a step schedule");
  BEYOND_CHECK_USAGE(s.warmup_steps >= 0, section, ".warmup_steps must be >= 0");
  return s;
}

double LrSchedule::at(int64_t step) const {
  double lr = base_lr;
  if (kind == "step") {
    lr = base_lr * std::pow(gamma, static_cast<double>(step / step_size));
  } else if (kind == "cosine") {
    const double span = std::max<int64_t>(1, total_steps - warmup_steps);
    const double t = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
    lr = min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * t));
  }
  if (warmup_steps > 0 && step < warmup_steps) lr *= static_cast<double>(step + 1) / warmup_steps;
  return lr;
}

}  // namespace beyond
