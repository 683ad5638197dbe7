// beyond: the command users run. The file scorers (`beyond eval coco|voc|seg`) and the dense CRF
// (`beyond crf`, `beyond refine`) run here, in a program that does not link LibTorch: LibTorch's start-up alone takes
// ~0.3 s, more than scoring a typical results file. Every other command is handed to beyond-torch
// (main.cpp) with execv, so the user sees one tool; `beyond --help` lists everything because
// beyond-torch prints it.
#include <omp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "beyond/core/log.h"
#include "commands.h"
#include "run_cli.h"

namespace {

/// `beyond [global options] eval coco|voc|seg ...`, `crf ...` or `refine ...`: the commands this program runs itself.
bool is_front_command(int argc, char** argv) {
  int i = 1;
  while (i < argc) {
    const std::string arg = argv[i];
    if (arg == "-q" || arg == "--quiet" || arg.rfind("--threads=", 0) == 0) {
      ++i;
    } else if (arg == "--threads") {
      i += 2;
    } else {
      break;
    }
  }
  if (i < argc && (std::string(argv[i]) == "crf" || std::string(argv[i]) == "refine")) return true;
  if (i + 1 >= argc || std::string(argv[i]) != "eval") return false;
  const std::string scorer = argv[i + 1];
  return scorer == "coco" || scorer == "voc" || scorer == "seg";
}

/// Replaces this process with beyond-torch: beside this program in a build tree, in libexec once
/// installed (BEYOND_TORCH_CLI_FROM_BIN is that path relative to the installed bin directory).
int exec_torch_cli(char** argv) {
  std::error_code ec;
  const auto dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  for (const auto& candidate : {dir / "beyond-torch", dir / BEYOND_TORCH_CLI_FROM_BIN / "beyond-torch"}) {
    if (!std::filesystem::exists(candidate, ec)) continue;
    execv(candidate.c_str(), argv);
    std::cerr << "beyond: error: cannot run " << candidate.string() << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cerr << "beyond: error: beyond-torch (the part of beyond that runs models) was not found beside "
            << dir.string() << "/beyond or in " << (dir / BEYOND_TORCH_CLI_FROM_BIN).string()
            << "; reinstall beyond (cmake --install)\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace beyond;
  if (!is_front_command(argc, argv)) return exec_torch_cli(argv);
  CLI::App app{"beyond: deep learning beyond classification (LibTorch, C++17)", "beyond"};
  app.require_subcommand(1);
  cli::GlobalOptions global;
  cli::add_global_options(app, global);
  auto* eval = app.add_subcommand("eval", "score prediction files: eval coco | voc | seg");
  eval->require_subcommand(1);
  cli::add_eval_scorers(*eval);
  cli::add_crf(app);
  cli::add_refine(app);
  app.parse_complete_callback([&] {
    if (global.quiet) log::set_level(log::Level::Warn);
    if (global.threads > 0) omp_set_num_threads(global.threads);
  });
  return cli::run_cli(app, argc, argv, [] { return 0; });
}
