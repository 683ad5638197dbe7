#pragma once
/// The Task interface: everything the Trainer needs to know about one trainable thing. A Task builds
/// its model(s) and data from a Config, performs one training step, evaluates, and draws pictures.
/// The Trainer owns everything else: the loop, optimizers, LR schedule, clipping, NaN guard,
/// logging, checkpoints, resume and SIGINT. Concrete tasks live in src/beyond/tasks/.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "beyond/engine/optimizer.h"

namespace beyond {

class Config;

/// Modules by name, in a fixed order ("generator", "discriminator").
using NamedModules = std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>;

/// Scalars reported by a step or an evaluation ("loss", "elbo", "fid", ...).
using Metrics = std::map<std::string, double>;

/// A set of parameters with its own optimizer: "model", or "generator" and "discriminator".
struct OptimizedPart {
  std::string name;
  std::vector<torch::Tensor> parameters;
  /// Config section that configures this part's optimizer and schedule ("optim", "optim_d", ...).
  std::string config_section = "optim";
  /// Subsets of `parameters` that train at a multiple of the section's learning rate (a spatial
  /// transformer's localisation net at 0.1x); the schedule moves them with the rest, 0 freezes them.
  std::vector<ParameterGroup> scaled = {};
};

/// Given to Task::train_step. `optimize` zeroes the part's gradients, backpropagates `loss`,
/// checks that it is finite, clips, and steps the part's optimizer.
class StepContext {
 public:
  virtual ~StepContext() = default;
  virtual void optimize(const std::string& part, const torch::Tensor& loss) = 0;
  /// Global step being performed (0-based).
  virtual int64_t step() const = 0;
};

class Task {
 public:
  virtual ~Task() = default;

  /// Named modules whose parameters and buffers are the model's state ("vae"; or "generator",
  /// "discriminator"). Saved in checkpoints and as safetensors.
  virtual NamedModules modules() = 0;
  virtual std::vector<OptimizedPart> parts() = 0;

  /// Batches in one epoch of the training stream.
  virtual int64_t steps_per_epoch() const = 0;
  /// Positions the training data stream so that the next batch is the one of global step `step`.
  /// Called once before training starts (0, or the resumed step).
  virtual void seek(int64_t step) = 0;

  /// One training step: draw a batch, compute losses, call ctx.optimize(...). Returns metrics.
  virtual Metrics train_step(StepContext& ctx) = 0;
  /// Evaluation on held-out data; called in eval mode under NoGradGuard unless the task needs grads.
  virtual Metrics evaluate() = 0;
  /// Writes the task's pictures into `dir` (reconstructions, samples, ...). Returns file names written.
  virtual std::vector<std::string> visualize(const std::string& dir) { return {}; }
  /// Draws `n` samples (or reconstructions) as an image grid at `path`.
  virtual void sample(int64_t n, const std::string& path);
  /// Extra safetensors metadata saved with the final weights, so that they describe themselves (a
  /// detector's "categories"). The run adds "config" (the resolved YAML) to every task's.
  virtual std::map<std::string, std::string> weights_metadata() { return {}; }

  void train_mode(bool on) {
    for (auto& [name, m] : modules()) m->train(on);
  }
};

}  // namespace beyond
