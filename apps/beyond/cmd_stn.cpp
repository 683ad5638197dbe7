// beyond stn show RUN_DIR [--n 16] [--out rectified.png]: distorted test images of a trained `stn` run
// beside what its spatial transformer makes of them.
#include <torch/torch.h>

#include <iostream>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/run.h"
#include "beyond/tasks/stn_task.h"
#include "commands.h"

namespace beyond::cli {

namespace {
void show_rectified(const std::string& run_dir, int64_t n, const std::string& out) {
  Config cfg;
  auto task = load_run_task(run_dir, &cfg);
  auto* stn = dynamic_cast<StnTask*>(task.get());
  BEYOND_CHECK_USAGE(stn, run_dir, " holds a '", cfg.get_string("task"), "' run, not an stn run (beyond train stn ...)");
  if (!stn->has_transformer())
    log::warn(run_dir + " has no spatial transformer (model.kind " + cfg.get_string("model.kind") +
              "): drawing the distorted inputs alone");
  torch::NoGradGuard no_grad;
  task->train_mode(false);
  stn->save_rectified(n, out);
  std::cout << "wrote " << out << "\n";
}
}  // namespace

void add_stn(CLI::App& app, const GlobalOptions&) {
  auto* cmd = app.add_subcommand("stn", "spatial transformer runs: pictures of what the transformer learned");
  cmd->require_subcommand(1);
  struct Args {
    std::string run_dir, out = "rectified.png";
    int64_t n = 16;
  };
  auto a = std::make_shared<Args>();
  auto* show = cmd->add_subcommand("show", "distorted test images (rows) above their rectified versions");
  show->add_option("run_dir", a->run_dir, "run directory of `beyond train stn`")->required();
  show->add_option("--n", a->n, "number of test images")->capture_default_str()->check(CLI::PositiveNumber);
  show->add_option("--out", a->out, "output PNG")->capture_default_str();
  show->callback([a] { show_rectified(a->run_dir, a->n, a->out); });
}

}  // namespace beyond::cli
