#include "run_cli.h"

#include <iostream>

#include "beyond/core/error.h"
#include "commands.h"

namespace beyond::cli {

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("--threads", global.threads, "intra-op threads (default: one per core)")->check(CLI::NonNegativeNumber);
  app.add_flag("-q,--quiet", global.quiet, "only warnings and errors");
  app.fallthrough();
}

int run_cli(CLI::App& app, int argc, char** argv, const std::function<int()>& status,
            const std::function<bool(const std::exception&, std::string&)>& describe) {
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
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (describe) describe(e, message);
    std::cerr << "beyond: error: " << message << "\n";
    return 1;
  }
  return status();
}

}  // namespace beyond::cli
