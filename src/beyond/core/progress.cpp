#include "beyond/core/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "beyond/core/error.h"

namespace beyond {

namespace detail {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<int64_t>(seconds + 0.5);
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  }
  return buf;
}

}  // namespace detail

namespace {

std::string format_rate(double rate) {
  char buf[48];
  if (!std::isfinite(rate) || rate <= 0) return "0.00 it/s";
  if (rate >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f it/s", rate);
  } else if (rate >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f it/s", rate);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f it/s", rate);
  }
  return buf;
}

int terminal_columns() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, std::string label, ProgressOptions options)
    : total_(total), label_(std::move(label)), options_(options) {
  BEYOND_CHECK(options_.plain_interval_seconds() >= 0 && options_.redraw_interval_seconds() >= 0,
               "ProgressBar: intervals must be >= 0 seconds");
  out_ = options_.sink() != nullptr ? options_.sink() : &std::cerr;
  switch (options_.force_mode()) {
    case ProgressMode::Terminal: terminal_ = true; break;
    case ProgressMode::Plain: terminal_ = false; break;
    case ProgressMode::Auto: terminal_ = options_.sink() == nullptr && isatty(STDERR_FILENO) == 1; break;
  }
  if (terminal_ && options_.sink() == nullptr) columns_ = terminal_columns();
  start_ = Clock::now();
  last_emit_ = start_;
}

ProgressBar::~ProgressBar() {
  if (terminal_ && emitted_ && !finished_) {
    *out_ << '\n';
    out_->flush();
  }
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

std::string ProgressBar::line(bool terminal) const {
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const bool known = total_ > 0;
  const double eta = known && rate > 0 ? static_cast<double>(std::max<int64_t>(total_ - done_, 0)) / rate : -1.0;
  std::string s = label_;
  if (!s.empty()) s += ' ';
  if (terminal && known) {
    const int width = std::max(1, options_.bar_width());
    const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * width);
    s += '[' + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.') +
         "] ";
  }
  s += std::to_string(done_);
  if (known) s += '/' + std::to_string(total_);
  if (!terminal && known) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%.1f%%)", 100.0 * static_cast<double>(done_) / static_cast<double>(total_));
    s += pct;
  }
  s += "  " + format_rate(rate);
  if (terminal) {
    s += "  " + detail::format_duration(elapsed);
    if (known) s += '<' + detail::format_duration(eta);
  } else {
    s += "  elapsed " + detail::format_duration(elapsed);
    if (known) s += "  eta " + detail::format_duration(eta);
  }
  if (!suffix_.empty()) s += "  " + suffix_;
  return s;
}

void ProgressBar::emit(bool final_line) {
  std::string s = line(terminal_);
  if (terminal_) {
    if (columns_ > 1 && s.size() >= static_cast<size_t>(columns_)) s.resize(static_cast<size_t>(columns_ - 1));
    const size_t length = s.size();
    if (length < last_length_) s += std::string(last_length_ - length, ' ');
    last_length_ = length;
    *out_ << '\r' << s;
    if (final_line) *out_ << '\n';
  } else {
    if (final_line && s == last_plain_) return;  // the last periodic line already says it all
    *out_ << s << '\n';
    last_plain_ = s;
  }
  out_->flush();
  emitted_ = true;
  last_emit_ = Clock::now();
}

void ProgressBar::update(int64_t done, const std::string& suffix) {
  if (finished_) return;
  done_ = done;
  suffix_ = suffix;
  const double since = std::chrono::duration<double>(Clock::now() - last_emit_).count();
  if (terminal_) {
    const bool complete = total_ > 0 && done_ >= total_;
    if (!emitted_ || complete || since >= options_.redraw_interval_seconds()) emit(false);
  } else if (since >= options_.plain_interval_seconds()) {
    emit(false);
  }
}

void ProgressBar::finish(const std::string& suffix) {
  if (finished_) return;
  if (!suffix.empty()) suffix_ = suffix;
  emit(true);
  finished_ = true;
}

}  // namespace beyond
