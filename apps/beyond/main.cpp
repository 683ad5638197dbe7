// beyond-torch: the whole command-line tool, LibTorch included. Users run `beyond` (front_main.cpp),
// which executes this program for every command except the file scorers. Exit codes: 0 success,
// 1 runtime error, 2 usage error, 130 interrupted (a checkpoint was written).
#include <c10/util/Exception.h>

#include "beyond/core/allocator.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/core/threads.h"
#include "commands.h"
#include "run_cli.h"

int main(int argc, char** argv) {
  using namespace beyond;
  keep_freed_memory_in_process();  // training steps reuse their memory instead of re-faulting it
  CLI::App app{"beyond: deep learning beyond classification (LibTorch, C++17)", "beyond"};
  app.require_subcommand(1);
  cli::GlobalOptions global;
  cli::add_global_options(app, global);
  cli::add_train(app, global);
  cli::add_eval(app, global);
  cli::add_sample(app, global);
  cli::add_demo(app, global);
  cli::add_config(app, global);
  cli::add_data(app, global);
  cli::add_proposals(app, global);
  cli::add_detect(app, global);
  cli::add_segment(app, global);
  cli::add_crf(app);
  cli::add_refine(app);
  cli::add_gradients(app, global);
  cli::add_stn(app, global);

  app.parse_complete_callback([&] {
    if (global.quiet) log::set_level(log::Level::Warn);
    const int n = configure_threads(global.threads);
    log::debug(str("using ", n, " threads"));
    warn_if_reference_blas();
  });
  return cli::run_cli(app, argc, argv, [] { return cli::exit_status(); },
                      [](const std::exception& e, std::string& message) {
                        const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
                        if (torch_error) message = torch_error->what_without_backtrace();
                        return torch_error != nullptr;
                      });
}
