#pragma once
/// Training checkpoints: `DIR/checkpoints/step_00001234.pt`, each written atomically (a crash leaves
/// the previous checkpoints intact), the last `keep_last` kept. A checkpoint holds every module's
/// parameters and buffers, every optimizer's state, the global step and the RNG state, so a resumed
/// run continues exactly where the stopped one was.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "beyond/engine/task.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace beyond {

struct TrainingState {
  NamedModules modules;
  std::map<std::string, torch::optim::Optimizer*> optimizers;
};

class CheckpointManager {
 public:
  CheckpointManager(std::string run_dir, int64_t keep_last);

  /// Writes the checkpoint of `step` atomically and prunes old ones. Returns its path.
  std::string save(const TrainingState& state, int64_t step) const;
  /// Restores `state` from `path` and returns its step. Throws beyond::Error naming the file if it is
  /// truncated or does not match the model; nothing on disk is changed.
  int64_t load(const TrainingState& state, const std::string& path) const;

  /// Writes `checkpoints/best.pt` atomically: the checkpoint of `step`, whose evaluation scored `value`
  /// on the metric the run selects by. Never pruned; list() and latest() do not include it.
  std::string save_best(const TrainingState& state, int64_t step, double value) const;
  /// The best checkpoint's path and score, if one was written.
  std::string best_path() const;
  std::optional<double> best_value() const;

  /// Checkpoint paths, oldest first.
  std::vector<std::string> list() const;
  /// The newest checkpoint, or "" if there is none.
  std::string latest() const;
  std::string directory() const { return dir_; }

 private:
  void write(const TrainingState& state, int64_t step, const std::string& path,
             std::optional<double> best_value) const;

  std::string dir_;
  int64_t keep_last_;
};

/// Loads only the modules' weights from a checkpoint (for eval / sample).
int64_t load_weights(const NamedModules& modules,
                     const std::string& path);

}  // namespace beyond
