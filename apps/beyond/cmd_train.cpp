// beyond train <model> [--config F] [--set k=v ...] [--out DIR] [--resume [PATH]]
#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/core/threads.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/run.h"
#include "commands.h"

namespace beyond::cli {

int& exit_status() {
  static int status = 0;
  return status;
}

namespace {
struct TrainArgs {
  std::string model;
  std::string config_file;
  std::vector<std::string> sets;
  std::string out;
  std::string resume;
  std::string data;
  std::string text;
  std::string cell;
  std::string vocab;
  int64_t steps_T = 0;
  std::string distortion;
  std::string stn_model;
  std::string transform;
  bool augment = false;
};

// A flag that sets one config key, for models whose config has it.
void set_from_flag(Config& cfg, const std::string& flag, const std::string& key, const std::string& value,
                   const std::string& model) {
  if (value.empty()) return;
  BEYOND_CHECK_USAGE(cfg.has(key), flag, ": model '", model, "' has no ", key);
  cfg.set(key, value);
}

// The issue-level names of the detectors, FCNs and the character LM map onto their configs.
std::string config_name(const std::string& model) {
  if (model == "faster-rcnn") return "faster_rcnn_small";
  if (model == "fast-rcnn") return "fast_rcnn_small";
  if (model == "fcn32s" || model == "fcn16s" || model == "fcn8s") return model + "_small";
  if (model == "fcn8s-crfrnn") return "fcn8s_crfrnn_small";
  if (model == "char-lm") return "char_lm";
  return model;
}

void run_train(const TrainArgs& a, const GlobalOptions& global) {
  Config cfg = Config::builtin(config_name(a.model));
  if (!a.config_file.empty()) cfg.merge(Config::from_file(a.config_file));
  if (!a.data.empty()) {
    BEYOND_CHECK_USAGE(cfg.has("data.root"), "--data: model '", a.model, "' takes no data folder (it has no data.root)");
    cfg.set("data.root", a.data);
  }
  // Shorthands of the recurrent tasks (adding, copy, char-lm).
  set_from_flag(cfg, "--text", "data.text", a.text, a.model);
  set_from_flag(cfg, "--vocab", "data.vocab", a.vocab, a.model);
  if (!a.cell.empty()) {
    BEYOND_CHECK_USAGE(cfg.has("model.cell"), "--cell: model '", a.model, "' has no recurrent cell (no model.cell)");
    cfg.set_assignment("model.cell=" + a.cell);
  }
  if (a.steps_T > 0) {
    BEYOND_CHECK_USAGE(cfg.has("data.T"), "--T: model '", a.model, "' has no sequence length (no data.T)");
    cfg.set_assignment("data.T=" + std::to_string(a.steps_T));
  }
  // Shorthands of the spatial transformer task (stn).
  set_from_flag(cfg, "--distortion", "data.distortion", a.distortion, a.model);
  BEYOND_CHECK_USAGE(a.stn_model.empty() || cfg.get_string("task") == "stn",
                     "--model: only the stn task takes a classifier kind, not '", a.model, "'");
  set_from_flag(cfg, "--model", "model.kind", a.stn_model, a.model);
  set_from_flag(cfg, "--transform", "stn.transform", a.transform, a.model);
  if (a.augment) set_from_flag(cfg, "--augment", "data.augment", "true", a.model);
  for (const auto& s : a.sets) cfg.set_assignment(s);
  // --threads wins; otherwise a config's `threads` > 0 replaces the one-per-core default.
  if (global.threads == 0 && cfg.get_int("threads") > 0) configure_threads(static_cast<int>(cfg.get_int("threads")));
  RunOptions options;
  options.out_dir = a.out.empty() ? "runs/" + config_name(a.model) : a.out;
  options.resume = a.resume;
  auto result = train_run(cfg, options);
  if (result.status == TrainResult::Status::Interrupted) exit_status() = 130;
}
}  // namespace

void add_train(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "train a model (ae, dae, vae, gan, classifier, faster-rcnn, fast-rcnn, fcn8s, ...)");
  cmd->add_option("model", args->model, "model to train: " + [] {
    std::string s;
    for (const auto& n : Config::builtin_names()) s += (s.empty() ? "" : ", ") + n;
    return s + " (faster-rcnn = faster_rcnn_small, fast-rcnn = fast_rcnn_small, fcn32s|fcn16s|fcn8s = "
               "fcn32s_small|fcn16s_small|fcn8s_small, fcn8s-crfrnn = fcn8s_crfrnn_small, char-lm = char_lm)";
  }())->required();
  cmd->add_option("--config", args->config_file, "YAML file whose keys override the model's defaults");
  cmd->add_option("--set", args->sets, "override one key, e.g. --set optim.lr=3e-4 (repeatable)");
  cmd->add_option("--out", args->out, "run directory (default runs/<model>)");
  cmd->add_option("--data", args->data, "data folder (sets data.root), e.g. the output of `beyond data scenes`");
  cmd->add_option("--text", args->text, "char-lm: a UTF-8 text file to train on (split: last 5% test, 5% before val)");
  cmd->add_option("--vocab", args->vocab, "char-lm: codepoints (UTF-8) or bytes (any file) (sets data.vocab)");
  cmd->add_option("--cell", args->cell, "recurrent cell of a sequence model (sets model.cell): rnn, lstm or gru");
  cmd->add_option("--T", args->steps_T, "sequence length of adding / copy (sets data.T)")->check(CLI::PositiveNumber);
  cmd->add_option("--distortion", args->distortion,
                  "stn: distortion family r, rts, p, e or cluttered (sets data.distortion)");
  cmd->add_option("--model", args->stn_model, "stn: classifier fcn, cnn, st-fcn or st-cnn (sets model.kind)");
  cmd->add_option("--transform", args->transform,
                  "stn: transformation family affine, attention, rts, projective or tps (sets stn.transform)");
  cmd->add_flag("--augment", args->augment,
                "stn: distort every drawn training image afresh instead of one fixed distorted set (sets data.augment)");
  cmd->add_option("--resume", args->resume, "continue from the newest checkpoint in --out, or from PATH")
      ->expected(0, 1)
      ->default_str("latest");
  cmd->callback([args, cmd, &global] {
    if (cmd->count("--resume") && args->resume.empty()) args->resume = "latest";
    run_train(*args, global);
  });
}

}  // namespace beyond::cli
