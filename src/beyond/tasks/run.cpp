#include "beyond/tasks/run.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/log.h"
#include "beyond/core/rng.h"
#include "beyond/core/safetensors.h"
#include "beyond/engine/checkpoint.h"
#include "beyond/engine/config.h"
#include "beyond/engine/metrics_log.h"
#include "beyond/tasks/registry.h"
#include "beyond/viz/plot.h"
#include "beyond/viz/report.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {

std::string in_dir(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

/// The final weights, described by the resolved config and the task's own metadata.
void save_weights(Task& task, const Config& cfg, const std::string& path) {
  TensorMap all;
  for (const auto& [name, module] : task.modules())
    for (auto& [k, v] : state_dict(*module, name + ".")) all[k] = v;
  auto metadata = task.weights_metadata();
  metadata.insert({{"format", "pt"}, {"producer", "beyond"}, {"config", cfg.to_yaml()}});
  save_safetensors(path, all, metadata);
}

void write_eval_json(const std::string& dir, const Metrics& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  write_file_atomic(in_dir(dir, "eval.json"), j.dump(2) + "\n");
}

/// One plot per training metric family over steps: losses together, everything else alone.
std::vector<std::string> plot_curves(const std::string& dir) {
  auto records = MetricsLog::read(in_dir(dir, "metrics.jsonl"));
  std::map<std::string, viz::Series> train, eval;
  for (const auto& r : records) {
    if (r.split == "best") continue;  // the restored model's re-evaluation: one point, in eval.json
    auto& target = r.split == "eval" ? eval : train;
    for (const auto& [k, v] : r.values) {
      if (k.rfind("lr/", 0) == 0 || k == "steps_per_s") continue;
      auto& s = target[k];
      s.name = k;
      s.x.push_back(static_cast<double>(r.step));
      s.y.push_back(v);
    }
  }
  std::vector<std::string> files;
  std::vector<viz::Series> losses;
  for (auto& [k, s] : train) {
    if (k.find("loss") != std::string::npos) losses.push_back(s);
  }
  if (!losses.empty()) {
    viz::line_plot(losses, {"training loss", "step", "loss"}, in_dir(dir, "images/loss_curves.png"));
    files.push_back("loss_curves.png");
  }
  for (auto& [k, s] : train) {
    if (k.find("loss") != std::string::npos) continue;
    viz::line_plot({s}, {"training " + k, "step", k}, in_dir(dir, "images/train_" + k + ".png"));
    files.push_back("train_" + k + ".png");
  }
  for (auto& [k, s] : eval) {
    if (s.x.size() < 2) continue;  // one point is a number, not a curve: it is in the table
    viz::line_plot({s}, {"evaluation " + k, "step", k}, in_dir(dir, "images/eval_" + k + ".png"));
    files.push_back("eval_" + k + ".png");
  }
  return files;
}

/// The newest checkpoint's weights, else those of the finished run's model.safetensors: a run directory
/// copied without its checkpoints (such as the committed weights/char_lm_kjv) still evaluates and samples.
void load_run_weights(Task& task, const std::string& run_dir) {
  const std::string latest = CheckpointManager(run_dir, 1).latest();
  if (!latest.empty()) {
    load_weights(task.modules(), latest);
    return;
  }
  const std::string model = in_dir(run_dir, "model.safetensors");
  BEYOND_CHECK(fs::exists(model), run_dir,
               " has neither a checkpoint nor model.safetensors (train it first, or resume the run)");
  const TensorMap tensors = load_safetensors(model);
  for (const auto& [name, module] : task.modules()) load_state_dict(*module, tensors, name + ".", model);
}

}  // namespace

std::shared_ptr<Task> load_run_task(const std::string& run_dir, Config* cfg_out) {
  const std::string cfg_path = in_dir(run_dir, "config.yaml");
  BEYOND_CHECK_USAGE(fs::exists(cfg_path), run_dir, " is not a beyond run directory (no config.yaml); ",
                     "pass the --out directory of `beyond train`");
  Config cfg = Config::from_file(cfg_path);
  seed_everything(static_cast<uint64_t>(cfg.get_int("seed")));
  register_builtin_tasks();
  auto task = TaskRegistry::instance().create(cfg);
  load_run_weights(*task, run_dir);
  if (cfg_out) *cfg_out = cfg;
  return task;
}

TrainResult train_run(const Config& cfg, const RunOptions& options) {
  ensure_writable_dir(options.out_dir);
  write_file_atomic(in_dir(options.out_dir, "config.yaml"), cfg.to_yaml());
  seed_everything(static_cast<uint64_t>(cfg.get_int("seed")));
  register_builtin_tasks();
  auto task = TaskRegistry::instance().create(cfg);

  Trainer trainer(task, cfg,
                  TrainerOptions::from_config(cfg).run_dir(options.out_dir).resume(options.resume).progress(
                      options.progress));
  TrainResult result = trainer.run();
  if (result.status == TrainResult::Status::Completed) {
    save_weights(*task, cfg, in_dir(options.out_dir, "model.safetensors"));
    write_eval_json(options.out_dir, result.final_metrics);
    write_run_report(options.out_dir, result.final_metrics);
    log::info(str("run finished: ", fs::absolute(options.out_dir).string(), "/report.html"));
  }
  return result;
}

Metrics evaluate_run(const std::string& run_dir) {
  auto task = load_run_task(run_dir);
  torch::NoGradGuard no_grad;
  task->train_mode(false);
  Metrics m = task->evaluate();
  fs::create_directories(in_dir(run_dir, "images"));
  task->visualize(in_dir(run_dir, "images"));
  write_eval_json(run_dir, m);
  write_run_report(run_dir, m);
  return m;
}

void sample_run(const std::string& run_dir, int64_t n, const std::string& out_path) {
  BEYOND_CHECK_USAGE(n > 0, "--n must be positive, got ", n);
  auto task = load_run_task(run_dir);
  torch::NoGradGuard no_grad;
  task->train_mode(false);
  task->sample(n, out_path);
}

std::string sample_text_run(const std::string& run_dir, const TextSampleOptions& options) {
  Config cfg;
  auto task = load_run_task(run_dir, &cfg);
  auto* sampler = dynamic_cast<TextSampler*>(task.get());
  BEYOND_CHECK_USAGE(sampler, run_dir, " holds a '", cfg.get_string("task"),
                     "' model, which draws images, not text: drop --prime / --temperature / --seed and use --out ",
                     "FILE.png");
  torch::NoGradGuard no_grad;
  task->train_mode(false);
  return sampler->sample_text(options);
}

void write_run_report(const std::string& run_dir, const Metrics& final_metrics) {
  Config cfg = Config::from_file(in_dir(run_dir, "config.yaml"));
  auto curves = plot_curves(run_dir);
  viz::HtmlReport report("beyond run: " + cfg.get_string("task") + " (" + run_dir + ")");
  report.heading("Final evaluation");
  report.metrics(final_metrics);
  report.heading("Pictures");
  std::vector<std::string> pictures;  // sorted: directory order is arbitrary
  for (const auto& entry : fs::directory_iterator(in_dir(run_dir, "images"))) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".png") continue;
    if (std::find(curves.begin(), curves.end(), name) != curves.end()) continue;
    pictures.push_back(name);
  }
  std::sort(pictures.begin(), pictures.end());
  for (const auto& name : pictures) report.image("images/" + name, name);
  report.heading("Training curves");
  for (const auto& name : curves) report.image("images/" + name, name);
  report.heading("Config");
  report.paragraph(cfg.to_yaml());
  report.write(in_dir(run_dir, "report.html"));
}

}  // namespace beyond
