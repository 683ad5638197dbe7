#pragma once
/// Runs: what `beyond train / eval / sample` do, as library calls. A run directory holds
///   config.yaml      the resolved config (defaults + --config + --set)
///   metrics.jsonl    train and eval records
///   checkpoints/     step_XXXXXXXX.pt (atomic, last K kept)
///   model.safetensors  final weights, "<module>.<parameter>" names
///   images/          the task's pictures and loss curves
///   eval.json, report.html
#include <string>

#include "beyond/engine/task.h"
#include "beyond/engine/trainer.h"
#include "beyond/tasks/text_sampler.h"

namespace beyond {

class Config;

struct RunOptions {
  std::string out_dir;
  std::string resume;  ///< "", "latest" or a checkpoint path
  bool progress = true;
};

/// Builds the task, trains it, writes weights, pictures and the report. Checks that out_dir is
/// writable before anything else.
TrainResult train_run(const Config& cfg, const RunOptions& options);

/// Loads a run's config and newest checkpoint, evaluates, writes eval.json and the report.
Metrics evaluate_run(const std::string& run_dir);

/// Draws n samples of a trained run as a grid.
void sample_run(const std::string& run_dir, int64_t n, const std::string& out_path);

/// Text of a trained text model (char_lm): the priming text and n drawn symbols. UsageError for a
/// run whose task draws images.
std::string sample_text_run(const std::string& run_dir, const TextSampleOptions& options);

/// Regenerates report.html (metrics, loss curves, the images the task drew).
void write_run_report(const std::string& run_dir, const Metrics& final_metrics);

/// Builds the task of a finished run with its newest weights loaded.
std::shared_ptr<Task> load_run_task(const std::string& run_dir, Config* cfg_out = nullptr);

}  // namespace beyond
