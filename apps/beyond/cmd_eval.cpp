// beyond eval DIR, beyond sample DIR --n 64 --out grid.png,
// beyond sample DIR --prime "..." --temperature 0.8 --n 500 (text models), beyond config <model>
#include <filesystem>
#include <iostream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/run.h"
#include "commands.h"

namespace beyond::cli {

void add_eval(CLI::App& app, const GlobalOptions&) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("eval",
                                 "evaluate a trained run on its test data (eval DIR; writes eval.json and report.html), "
                                 "score prediction files: eval coco | voc | seg, or a detector: eval detection");
  cmd->add_option("dir", *dir, "run directory written by `beyond train`");
  add_eval_scorers(*cmd);
  add_eval_detection(*cmd);
  cmd->callback([cmd, dir] {
    if (!cmd->get_subcommands().empty()) return;  // eval coco / voc / seg / detection ran
    BEYOND_CHECK_USAGE(!dir->empty(), "beyond eval needs a run directory (beyond eval DIR) or one of the subcommands "
                                      "coco, voc, seg, detection (see beyond eval --help)");
    for (const auto& [k, v] : evaluate_run(*dir)) std::cout << k << ": " << v << "\n";
  });
}

void add_sample(CLI::App& app, const GlobalOptions&) {
  struct Args {
    std::string dir, out;
    int64_t n = 0;
    TextSampleOptions text;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("sample",
                                 "draw samples from a trained generative model: an image grid, or text from a "
                                 "character language model (printed, or written to --out)");
  cmd->add_option("dir", a->dir, "run directory written by `beyond train`")->required();
  cmd->add_option("--n", a->n, "number of samples (images: 64; text: characters, 500)")->check(CLI::PositiveNumber);
  cmd->add_option("--out", a->out, "file to write (images: default samples.png; text: default stdout)");
  auto* prime = cmd->add_option("--prime", a->text.prime, "text: what the model reads before sampling");
  auto* temperature = cmd->add_option("--temperature", a->text.temperature, "text: softmax temperature (> 0)")
                          ->capture_default_str();
  auto* seed = cmd->add_option("--seed", a->text.seed, "text: random seed (same seed, same text)")
                   ->capture_default_str();
  cmd->callback([a, prime, temperature, seed] {
    const bool text_options = prime->count() + temperature->count() + seed->count() > 0;
    const std::string cfg_path = a->dir + "/config.yaml";
    const bool text_run = std::filesystem::exists(cfg_path) && Config::from_file(cfg_path).get_string("task") == "char_lm";
    if (text_options || text_run) {
      a->text.n = a->n > 0 ? a->n : 500;
      const std::string text = sample_text_run(a->dir, a->text);
      if (a->out.empty()) {
        std::cout << text << "\n";
      } else {
        write_file_atomic(a->out, text);
        std::cout << "wrote " << a->out << "\n";
      }
      return;
    }
    const std::string out = a->out.empty() ? "samples.png" : a->out;
    sample_run(a->dir, a->n > 0 ? a->n : 64, out);
    std::cout << "wrote " << out << "\n";
  });
}

void add_config(CLI::App& app, const GlobalOptions&) {
  auto model = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("config", "print a model's default config (every key --set accepts)");
  cmd->add_option("model", *model, "model name")->required();
  cmd->callback([model] { std::cout << Config::builtin(*model).to_yaml(); });
}

}  // namespace beyond::cli
