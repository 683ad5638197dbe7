#pragma once
/// A progress bar for long loops: on a terminal one line redrawn in place (label, bar, done/total, rate,
/// elapsed and ETA, a suffix such as the current loss); in logs and pipes a plain line every so often.
///
///   beyond::ProgressBar bar(steps, "train");
///   for (int64_t step = 1; step <= steps; ++step) {
///     ...
///     bar.update(step, beyond::str("loss ", loss));
///   }
///   bar.finish();
///
/// On a terminal:  train [###########.........] 550/1000  41.2 it/s  00:13<00:10  loss 123.4
/// Otherwise:      train 550/1000 (55.0%)  41.2 it/s  elapsed 00:13  eta 00:10  loss 123.4
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include <torch/arg.h>

namespace beyond {

enum class ProgressMode {
  Auto,      ///< terminal when writing to stderr and stderr is a terminal, else plain
  Terminal,  ///< redraw one line with '\r'
  Plain,     ///< a full line every plain_interval_seconds, plus the final one
};

struct ProgressOptions {
  using Sink = std::ostream*;  // an alias, because TORCH_ARG spells `const T&`
  /// How to draw; Auto decides by isatty(stderr).
  TORCH_ARG(ProgressMode, force_mode) = ProgressMode::Auto;
  /// Where to write; nullptr means stderr.
  TORCH_ARG(Sink, sink) = nullptr;
  /// In plain mode, the least time between two lines.
  TORCH_ARG(double, plain_interval_seconds) = 10.0;
  /// In terminal mode, the least time between two redraws.
  TORCH_ARG(double, redraw_interval_seconds) = 0.1;
  /// Characters inside the bar.
  TORCH_ARG(int, bar_width) = 24;
};

/// Shows the progress of `total` units of work (total <= 0: unknown, no bar or ETA).
/// Not thread-safe: call it from the thread that runs the loop.
class ProgressBar {
 public:
  ProgressBar(int64_t total, std::string label, ProgressOptions options = {});
  /// Ends an unfinished terminal line so later output starts on a fresh line.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports that `done` units are complete; `suffix` is shown at the end of the line.
  void update(int64_t done, const std::string& suffix = "");
  /// Draws the final line (with the last `done`) and ends it; later updates are ignored.
  void finish(const std::string& suffix = "");

  /// The line as it would be drawn now (for tests and logs).
  std::string line(bool terminal) const;
  bool terminal() const { return terminal_; }

 private:
  using Clock = std::chrono::steady_clock;
  void emit(bool final_line);
  double elapsed_seconds() const;

  int64_t total_;
  std::string label_;
  ProgressOptions options_;
  std::ostream* out_;
  bool terminal_ = false;
  int columns_ = 0;  // terminal width, 0 if unknown
  Clock::time_point start_;
  Clock::time_point last_emit_;
  bool emitted_ = false;
  bool finished_ = false;
  int64_t done_ = 0;
  std::string suffix_;
  size_t last_length_ = 0;
  std::string last_plain_;  // last line written in plain mode
};

namespace detail {
/// "mm:ss", or "h:mm:ss" from one hour on; "--:--" for a negative or non-finite value.
std::string format_duration(double seconds);
}  // namespace detail

}  // namespace beyond
