// beyond eval DIR, beyond sample DIR --n 64 --out grid.png, beyond config <model>
#include <iostream>

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
    std::string dir, out = "samples.png";
    int64_t n = 64;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("sample", "draw samples from a trained generative model as an image grid");
  cmd->add_option("dir", a->dir, "run directory written by `beyond train`")->required();
  cmd->add_option("--n", a->n, "number of samples")->check(CLI::PositiveNumber);
  cmd->add_option("--out", a->out, "PNG file to write");
  cmd->callback([a] {
    sample_run(a->dir, a->n, a->out);
    std::cout << "wrote " << a->out << "\n";
  });
}

void add_config(CLI::App& app, const GlobalOptions&) {
  auto model = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("config", "print a model's default config (every key --set accepts)");
  cmd->add_option("model", *model, "model name")->required();
  cmd->callback([model] { std::cout << Config::builtin(*model).to_yaml(); });
}

}  // namespace beyond::cli
