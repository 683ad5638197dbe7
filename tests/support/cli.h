#pragma once
// Runs the `beyond` executable built with the tests, capturing its exit code and output.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace beyond::test {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// Starts `beyond args...` with stdout+stderr redirected to `log_path`; returns the child's pid.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string exe = BEYOND_CLI_PATH;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline CliResult wait_cli(pid_t pid, const std::string& log_path) {
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

inline CliResult run_cli(const std::vector<std::string>& args, const std::string& log_path) {
  return wait_cli(spawn_cli(args, log_path), log_path);
}

/// True if `needle` occurs in `haystack` (CLI output and messages).
inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace beyond::test
