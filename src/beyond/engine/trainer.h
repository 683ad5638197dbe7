#pragma once
/// The Trainer owns the training loop around a Task: optimizers and LR schedules (one per part),
/// gradient clipping by global norm or by value, the non-finite-loss guard, periodic logging to metrics.jsonl,
/// evaluation and pictures every N steps, atomic checkpoints every N steps and at the end, exact
/// resume, and SIGINT (checkpoint, then stop with status Interrupted).
///
///   auto options = TrainerOptions::from_config(cfg).run_dir("runs/vae");
///   Trainer trainer(task, cfg, options);
///   TrainResult result = trainer.run();
#include <torch/arg.h>

#include <memory>
#include <string>

#include "beyond/core/error.h"
#include "beyond/engine/task.h"

namespace beyond {

class Config;

struct TrainerOptions {
  TORCH_ARG(std::string, run_dir) = "runs/default";
  /// Total steps; 0 means epochs * task.steps_per_epoch().
  TORCH_ARG(int64_t, steps) = 0;
  TORCH_ARG(int64_t, epochs) = 1;
  TORCH_ARG(double, clip_grad_norm) = 0.0;  // 0 = no clipping
  /// Clamps every gradient element to [-v, v] before the norm clipping; 0 = off. For recurrent nets
  /// whose gradients explode (Mikolov's "clipping by value"; clipping by norm keeps the direction).
  TORCH_ARG(double, clip_grad_value) = 0.0;
  TORCH_ARG(int64_t, log_every) = 100;
  TORCH_ARG(int64_t, eval_every) = 0;        // 0 = evaluate at the end only
  TORCH_ARG(int64_t, checkpoint_every) = 1000;
  TORCH_ARG(int64_t, keep_last) = 3;
  TORCH_ARG(uint64_t, seed) = 0;
  /// Resume from this checkpoint; "latest" picks the newest in run_dir; "" starts fresh.
  TORCH_ARG(std::string, resume) = "";
  /// Model selection: after every evaluation whose `best_metric` ("val_bpc") is the best so far, the
  /// checkpoint is also written as checkpoints/best.pt; when training ends, those weights are restored,
  /// so the final evaluation, checkpoint and weights are the selected model's. "" = off.
  TORCH_ARG(std::string, best_metric) = "";
  TORCH_ARG(bool, best_maximize) = false;  // false: lower is better (a loss, bits per character)
  TORCH_ARG(bool, progress) = true;
  TORCH_ARG(bool, visualize) = true;

 public:
  /// Reads train.{steps, epochs, clip_grad_norm, log_every, eval_every, checkpoint_every, keep_last},
  /// train.{clip_grad_value, best_metric, best_mode (min | max)} where the config has them, and seed.
  static TrainerOptions from_config(const Config& cfg);
};

struct TrainResult {
  enum class Status { Completed, Interrupted };
  Status status = Status::Completed;
  int64_t step = 0;           // steps completed
  std::string checkpoint;     // last checkpoint written
  Metrics final_metrics;      // last evaluation
};

class Trainer {
 public:
  Trainer(std::shared_ptr<Task> task, const Config& cfg, TrainerOptions options);
  ~Trainer();
  TrainResult run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Raised when a loss or gradient norm is NaN or infinite; the message names the step and the part.
class NonFiniteLossError : public Error {
 public:
  using Error::Error;
};

}  // namespace beyond
