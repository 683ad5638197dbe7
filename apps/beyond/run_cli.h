#pragma once
// Parsing and error reporting shared by the two executables of the CLI (see front_main.cpp).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace beyond::cli {

/// Parses argv into `app` (running the selected subcommand) and turns every error into a message on
/// stderr and an exit code: 2 for usage errors, 1 for runtime errors, else `status()`.
/// `describe` may give a better message for exception types this file does not know (LibTorch's);
/// it returns false to fall back to what().
int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& status,
            const std::function<bool(const std::exception&, std::string&)>& describe = {});

}  // namespace beyond::cli
