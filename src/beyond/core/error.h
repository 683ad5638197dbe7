#pragma once
/// Errors of beyond: one type whose message names the thing, the place and the fix.
///
///   BEYOND_CHECK(n > 0, "batch_size must be positive, got ", n, " (set train.batch_size)");
///   throw UsageError("unknown model 'vea'; did you mean 'vae'?");
///
/// The CLI prints `what()` without a stack trace and exits 1 (Error), 2 (UsageError).
#include <sstream>
#include <stdexcept>
#include <string>

namespace beyond {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  ~Error() override;  // out of line: one type_info for every library and executable that throws or catches
};

/// A mistake in how beyond was called (CLI flag, config key, model name): exit code 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
  ~UsageError() override;
};

namespace detail {
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

/// Concatenates its arguments with operator<< into one string.
template <typename... Args>
std::string str(const Args&... args) {
  return detail::str_cat(args...);
}

}  // namespace beyond

#define BEYOND_CHECK(cond, ...)                                      \
  do {                                                               \
    if (!(cond)) throw ::beyond::Error(::beyond::str(__VA_ARGS__));  \
  } while (0)

#define BEYOND_CHECK_USAGE(cond, ...)                                     \
  do {                                                                    \
    if (!(cond)) throw ::beyond::UsageError(::beyond::str(__VA_ARGS__));  \
  } while (0)
