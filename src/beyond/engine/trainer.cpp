#include "beyond/engine/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "beyond/core/log.h"
#include "beyond/core/progress.h"
#include "beyond/core/rng.h"
#include "beyond/engine/checkpoint.h"
#include "beyond/engine/config.h"
#include "beyond/engine/interrupt.h"
#include "beyond/engine/metrics_log.h"
#include "beyond/engine/optimizer.h"

namespace beyond {
namespace fs = std::filesystem;

TrainerOptions TrainerOptions::from_config(const Config& cfg) {
  TrainerOptions o;
  o.steps(cfg.get_int("train.steps"))
      .epochs(cfg.get_int("train.epochs"))
      .clip_grad_norm(cfg.get_double("train.clip_grad_norm"))
      .log_every(cfg.get_int("train.log_every"))
      .eval_every(cfg.get_int("train.eval_every"))
      .checkpoint_every(cfg.get_int("train.checkpoint_every"))
      .keep_last(cfg.get_int("train.keep_last"))
      .seed(static_cast<uint64_t>(cfg.get_int("seed")));
  if (cfg.has("train.clip_grad_value")) o.clip_grad_value(cfg.get_double("train.clip_grad_value"));
  if (cfg.has("train.best_metric")) o.best_metric(cfg.get_string("train.best_metric"));
  if (cfg.has("train.best_mode")) {
    const std::string mode = cfg.get_string("train.best_mode");
    BEYOND_CHECK_USAGE(mode == "min" || mode == "max", "train.best_mode must be min or max, got '", mode, "'");
    o.best_maximize(mode == "max");
  }
  BEYOND_CHECK_USAGE(o.clip_grad_norm() >= 0 && o.clip_grad_value() >= 0,
                     "train.clip_grad_norm and train.clip_grad_value must be >= 0 (0 = off), got ",
                     o.clip_grad_norm(), " and ", o.clip_grad_value());
  return o;
}

namespace {

struct Part {
  OptimizedPart spec;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<double> lr_scales;  // of the optimizer's parameter groups, in order
  LrSchedule schedule;
};

/// Runs `fn` with the RNG forked from a fixed seed and restored afterwards, so evaluation and
/// pictures are reproducible and never shift the training stream (exact resume depends on it).
template <typename Fn>
auto with_forked_rng(uint64_t seed, Fn&& fn) {
  const std::string saved = save_rng_state();
  seed_everything(seed);
  struct Restore {
    const std::string& s;
    ~Restore() { load_rng_state(s); }
  } restore{saved};
  return fn();
}

std::string format_metrics(const Metrics& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s%s %.4g", out.empty() ? "" : ", ", k.c_str(), v);
    out += buf;
  }
  return out;
}

}  // namespace

struct Trainer::Impl : StepContext {
  std::shared_ptr<Task> task;
  TrainerOptions options;
  std::map<std::string, Part> parts;
  CheckpointManager checkpoints;
  int64_t current_step = 0;
  int64_t total_steps = 0;
  std::optional<double> best_so_far;  // of options.best_metric, as kept in checkpoints/best.pt

  Impl(std::shared_ptr<Task> t, const Config& cfg, TrainerOptions o)
      : task(std::move(t)), options(std::move(o)), checkpoints(options.run_dir(), options.keep_last()) {
    total_steps = options.steps() > 0 ? options.steps() : options.epochs() * task->steps_per_epoch();
    BEYOND_CHECK_USAGE(total_steps > 0, "nothing to train: train.steps and train.epochs give 0 steps");
    for (auto& spec : task->parts()) {
      Part p;
      const auto groups = parameter_groups(spec.parameters, spec.scaled);
      for (const auto& g : groups) p.lr_scales.push_back(g.lr_scale);
      p.optimizer = make_optimizer(cfg, spec.config_section, groups);
      p.schedule = LrSchedule::from_config(cfg, spec.config_section, total_steps);
      p.spec = std::move(spec);
      parts.emplace(p.spec.name, std::move(p));
    }
  }

  int64_t step() const override { return current_step; }

  void optimize(const std::string& name, const torch::Tensor& loss) override {
    auto it = parts.find(name);
    BEYOND_CHECK(it != parts.end(), "task asked to optimize unknown part '", name, "'");
    Part& part = it->second;
    const double value = loss.item<double>();
    if (!std::isfinite(value)) throw_non_finite("loss", name, value);
    part.optimizer->zero_grad();
    loss.backward();
    if (options.clip_grad_value() > 0) torch::nn::utils::clip_grad_value_(part.spec.parameters, options.clip_grad_value());
    if (options.clip_grad_norm() > 0) {
      const double norm = torch::nn::utils::clip_grad_norm_(part.spec.parameters, options.clip_grad_norm());
      if (!std::isfinite(norm)) throw_non_finite("gradient norm", name, norm);
    }
    part.optimizer->step();
  }

  [[noreturn]] void throw_non_finite(const char* what, const std::string& part, double value) const {
    const std::string last = checkpoints.latest();
    throw NonFiniteLossError(str(
        "the ", what, " of part '", part, "' is ", value, " at step ", current_step, "; training stopped. ",
        last.empty() ? std::string("No checkpoint was written yet. ")
                     : "The last good checkpoint is " + last + " (continue with --resume). ",
        "Lower optim.lr or set train.clip_grad_norm (or train.clip_grad_value)."));
  }

  TrainingState state() {
    TrainingState s;
    s.modules = task->modules();
    for (auto& [name, part] : parts) s.optimizers[name] = part.optimizer.get();
    return s;
  }

  int64_t resume_step() {
    if (options.resume().empty()) return 0;
    std::string path = options.resume() == "latest" ? checkpoints.latest() : options.resume();
    BEYOND_CHECK_USAGE(!path.empty(), "--resume: no checkpoint in ", checkpoints.directory(),
                       " (train without --resume to start fresh)");
    const int64_t step = checkpoints.load(state(), path);
    log::info(str("resumed from ", path, " at step ", step));
    return step;
  }

  /// Evaluates (and draws the pictures of) the current weights.
  Metrics evaluate_model() {
    return with_forked_rng(options.seed() + 1000003, [&] {
      torch::NoGradGuard no_grad;
      task->train_mode(false);
      Metrics r = task->evaluate();
      if (options.visualize()) task->visualize((fs::path(options.run_dir()) / "images").string());
      task->train_mode(true);
      return r;
    });
  }

  Metrics evaluate(MetricsLog& log, int64_t step) {
    Metrics m = evaluate_model();
    log.append({step, "eval", m});
    log::info(str("step ", step, " eval: ", format_metrics(m)));
    keep_if_best(m, step);
    return m;
  }

  void keep_if_best(const Metrics& m, int64_t step) {
    if (options.best_metric().empty()) return;
    auto it = m.find(options.best_metric());
    if (it == m.end()) {
      std::string names;
      for (const auto& [k, v] : m) names += (names.empty() ? "" : ", ") + k;
      throw UsageError(str("train.best_metric '", options.best_metric(), "' is not among this task's evaluation ",
                           "metrics (", names, ")"));
    }
    const double v = it->second;
    if (!std::isfinite(v)) return;
    if (best_so_far && !(options.best_maximize() ? v > *best_so_far : v < *best_so_far)) return;
    checkpoints.save_best(state(), step, v);
    best_so_far = v;
    log::info(str("step ", step, ": best ", it->first, " so far (", it->second, "), kept as ",
                  checkpoints.best_path()));
  }

  /// Puts the selected model's weights back and evaluates it; logged as split "best" at its own step.
  Metrics restore_best(MetricsLog& log, Metrics last) {
    if (options.best_metric().empty() || !best_so_far) return last;
    const int64_t step = load_weights(task->modules(), checkpoints.best_path());
    if (step == total_steps) return last;
    Metrics m = evaluate_model();
    log.append({step, "best", m});
    log::info(str("restored the best model (step ", step, "): ", format_metrics(m)));
    return m;
  }

  TrainResult run() {
    fs::create_directories(options.run_dir());
    fs::create_directories(fs::path(options.run_dir()) / "images");
    const int64_t start = resume_step();
    if (start == 0) fs::remove(checkpoints.best_path());  // a fresh run selects among its own models
    else best_so_far = checkpoints.best_value();
    const std::string metrics_path = (fs::path(options.run_dir()) / "metrics.jsonl").string();
    if (start == 0) fs::remove(metrics_path);
    MetricsLog log(metrics_path, start);
    InterruptGuard interrupt_guard;

    TrainResult result;
    task->seek(start);
    task->train_mode(true);
    ProgressOptions bar_options;
    if (!options.progress()) bar_options.force_mode(ProgressMode::Plain).plain_interval_seconds(1e30);
    ProgressBar bar(total_steps, "train", bar_options);
    Metrics window;
    int64_t window_count = 0;
    auto window_start = std::chrono::steady_clock::now();
    int64_t last_saved = -1;

    for (current_step = start; current_step < total_steps; ++current_step) {
      for (auto& [name, part] : parts) set_learning_rate(*part.optimizer, part.schedule.at(current_step), part.lr_scales);
      Metrics m = task->train_step(*this);
      for (const auto& [k, v] : m) window[k] += v;
      ++window_count;
      const int64_t done = current_step + 1;

      if (done % options.log_every() == 0 || done == total_steps) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
        Metrics avg;
        for (const auto& [k, v] : window) avg[k] = v / window_count;
        for (const auto& [name, part] : parts) avg["lr/" + name] = part.schedule.at(current_step);
        avg["steps_per_s"] = window_count / std::max(secs, 1e-9);
        log.append({done, "train", avg});
        bar.update(done, format_metrics(avg));
        window.clear();
        window_count = 0;
        window_start = std::chrono::steady_clock::now();
      }
      if (options.eval_every() > 0 && done % options.eval_every() == 0 && done != total_steps) {
        result.final_metrics = evaluate(log, done);
      }
      if (options.checkpoint_every() > 0 && done % options.checkpoint_every() == 0) {
        result.checkpoint = checkpoints.save(state(), done);
        last_saved = done;
      }
      if (interrupt_requested()) {
        if (last_saved != done) result.checkpoint = checkpoints.save(state(), done);
        bar.finish("interrupted");
        log::warn(str("interrupted at step ", done, "; checkpoint ", result.checkpoint,
                      " (continue with --resume)"));
        result.status = TrainResult::Status::Interrupted;
        result.step = done;
        return result;
      }
    }
    bar.finish();
    result.step = total_steps;
    result.final_metrics = restore_best(log, evaluate(log, total_steps));
    // With model selection the weights may have changed since the last save, so always write.
    if (last_saved != total_steps || !options.best_metric().empty())
      result.checkpoint = checkpoints.save(state(), total_steps);
    return result;
  }
};

Trainer::Trainer(std::shared_ptr<Task> task, const Config& cfg, TrainerOptions options)
    : impl_(std::make_unique<Impl>(std::move(task), cfg, std::move(options))) {}
Trainer::~Trainer() = default;
TrainResult Trainer::run() { return impl_->run(); }

}  // namespace beyond
