#include "demo_sequence.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/text/kjv.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/char_lm_task.h"
#include "beyond/tasks/gradient_story.h"
#include "beyond/tasks/run.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

/// Settings of the short char-LM training when no trained run is at hand: a 128-unit LSTM on windows
/// of 50 characters, enough for words and verse numbers to appear, not a trained model (~1 min here).
std::vector<std::string> fallback_overrides(int64_t steps) {
  return {"model.hidden=128", "model.output_dropout=0", "data.seq_len=50", "data.batch_size=32", "optim.lr=3e-3",
          "train.steps=" + std::to_string(steps), "train.eval_every=0",
          "train.checkpoint_every=" + std::to_string(steps), "train.log_every=50", "eval.sample_chars=200"};
}

bool is_char_lm_run(const std::string& dir) {
  std::error_code ec;
  const auto cfg = fs::path(dir) / "config.yaml";
  if (!fs::is_regular_file(cfg, ec)) return false;
  const std::string task = Config::from_file(cfg.string()).get_string("task");
  BEYOND_CHECK_USAGE(task == "char_lm", "--char-lm ", dir, " is a '", task,
                     "' run, not a character language model (train one with `beyond train char-lm`)");
  return true;
}

/// "name: log10 ||dL/dh_0|| / ||dL/dh_T-1||" for each curve, the headline of the gradient plot.
std::string decay_summary(const std::vector<GradientCurve>& curves) {
  std::string s;
  for (const auto& c : curves) {
    const auto& g = c.trace.grad_norm;
    s += str(s.empty() ? "" : ", ", c.name, " ", std::round(std::log10(g.front() / g.back()) * 10) / 10);
  }
  return s;
}

}  // namespace

std::optional<std::vector<std::string>> run_sequence_panel(const std::string& out, const SequencePanelOptions& options,
                                                           viz::HtmlReport& index) {
  const auto dir = fs::path(out) / "sequence";
  fs::create_directories(dir);
  std::string run = options.char_lm_run, what = "character LSTM of " + options.char_lm_run;
  if (!is_char_lm_run(run)) {
    Config cfg = Config::builtin("char_lm");
    log::info("demo: " + run + " holds no char-lm run; a small one replaces it");
    if (options.text.empty()) {
      const auto kjv = (dir / "kjv").string();
      log::info("demo: extracting the King James Bible into " + kjv);
      data::extract_kjv(kjv);
      cfg.set("data.root", kjv);
    } else {
      cfg.set("data.text", options.text);
    }
    for (const auto& s : fallback_overrides(options.steps)) cfg.set_assignment(s);
    run = (dir / "char_lm").string();
    log::info(str("demo: training a small character LSTM for ", options.steps, " steps in ", run));
    RunOptions ro;
    ro.out_dir = run;
    if (train_run(cfg, ro).status != TrainResult::Status::Completed) return std::nullopt;
    what = str("character LSTM (128 units) after ", options.steps, " steps on ",
               options.text.empty() ? "the King James Bible" : options.text,
               " (no trained run in " + options.char_lm_run + "; `beyond train char-lm` trains one)");
  }

  // Text at temperature 0.8 after the run's priming text (when its corpus has every character of it).
  auto task = load_run_task(run);
  auto* lm = dynamic_cast<CharLmTask*>(task.get());
  BEYOND_CHECK(lm, run, " did not build a char_lm task");
  task->train_mode(false);
  const std::string prime = lm->usable_prime();
  std::string sample;
  {
    torch::NoGradGuard no_grad;  // only here: the gradient story below needs autograd
    sample = lm->sample_text({prime, 500, 0.8, 0});
  }
  write_file_atomic((dir / "sample.txt").string(), sample + "\n");
  // Its bits per character: as the run's last evaluation wrote them, else scored now.
  Metrics scores;
  const auto eval_json = fs::path(run) / "eval.json";
  if (fs::exists(eval_json)) {
    const auto values = nlohmann::json::parse(read_file(eval_json.string()));  // kept alive for items()
    for (const auto& [k, v] : values.items())
      if (v.is_number()) scores[k] = v.get<double>();
  } else {
    scores = lm->evaluate();
  }

  // The gradient story on fresh networks, as `beyond gradients` draws it.
  log::info("demo: tracing ||dL/dh_t|| through fresh RNN, LSTM and GRU networks (T = 100)");
  GradientStoryOptions story;
  story.cells = {"rnn", "lstm", "gru"};
  story.jacobians = false;
  const auto cells = gradient_story(story);
  plot_gradient_norms(cells, (dir / "gradients.png").string());
  story.cells = {"rnn"};
  story.radii = {0.9, 1.0, 1.1, 1.5};
  const auto radii = gradient_story(story);
  plot_gradient_norms(radii, (dir / "radius.png").string());

  index.heading("sequence");
  index.paragraph(what + ": 500 characters drawn at temperature 0.8" +
                  (prime.empty() ? "" : " after \"" + prime + "\"") + ".");
  index.preformatted(sample);
  index.image("sequence/gradients.png",
              "||dL/dh_t|| of fresh networks (128 units) when the loss reads h_99 only: the RNN's gradient "
              "vanishes on the way back, the LSTM's cell path keeps it (beyond gradients --cell rnn,lstm,gru)");
  index.image("sequence/radius.png",
              "the same RNN with W_hh rescaled to spectral radius 0.9 .. 1.5: from vanishing to exploding "
              "(beyond gradients --cell rnn --spectral-radius 0.9,1.0,1.1,1.5)");
  if (fs::exists(fs::path(run) / "report.html")) {
    std::error_code ec;
    const auto rel = fs::relative(fs::path(run) / "report.html", out, ec);
    if (!ec && !rel.empty()) index.link(rel.string(), "full report of the char-lm run");
  }
  std::string metrics;
  for (const auto& [k, v] : scores) metrics += str(metrics.empty() ? "" : ", ", k, " ", v);
  return std::vector<std::string>{"sequence", what,
                                  metrics + "; log10 ||dL/dh_0|| / ||dL/dh_99||: " + decay_summary(cells)};
}

}  // namespace beyond::cli
