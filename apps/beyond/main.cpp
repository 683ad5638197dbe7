// beyond: the command-line tool. Errors are printed without a stack trace; exit codes are
// 0 success, 1 runtime error, 2 usage error, 130 interrupted (a checkpoint was written).
#include <iostream>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/core/threads.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace beyond;
  CLI::App app{"beyond: deep learning beyond classification (LibTorch, C++17)", "beyond"};
  app.require_subcommand(1);
  cli::GlobalOptions global;
  app.add_option("--threads", global.threads, "intra-op threads (default: one per core)")->check(CLI::NonNegativeNumber);
  app.add_flag("-q,--quiet", global.quiet, "only warnings and errors");
  app.fallthrough();
  cli::add_train(app, global);
  cli::add_eval(app, global);
  cli::add_sample(app, global);
  cli::add_demo(app, global);
  cli::add_config(app, global);
  cli::add_data(app, global);

  app.parse_complete_callback([&] {
    if (global.quiet) log::set_level(log::Level::Warn);
    const int n = configure_threads(global.threads);
    log::debug(str("using ", n, " threads"));
    warn_if_reference_blas();
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "beyond: usage error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "beyond: error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "beyond: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "beyond: error: " << e.what() << "\n";
    return 1;
  }
  return cli::exit_status();
}
