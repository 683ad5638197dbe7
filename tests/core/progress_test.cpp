#include <gtest/gtest.h>

#include <sstream>

#include "beyond/core/progress.h"

using beyond::ProgressBar;
using beyond::ProgressMode;
using beyond::ProgressOptions;

TEST(ProgressBar, PlainModeLinesHaveCountRateAndEta) {
  std::ostringstream out;
  {
    ProgressBar bar(10, "train", ProgressOptions().force_mode(ProgressMode::Plain).sink(&out).plain_interval_seconds(0));
    for (int i = 1; i <= 10; ++i) bar.update(i, "loss 1.5");
    bar.finish();
  }
  const std::string s = out.str();
  EXPECT_NE(s.find("train 5/10 (50.0%)"), std::string::npos) << s;
  EXPECT_NE(s.find("10/10"), std::string::npos) << s;
  EXPECT_NE(s.find("it/s"), std::string::npos) << s;
  EXPECT_NE(s.find("elapsed 00:00"), std::string::npos) << s;
  EXPECT_NE(s.find("eta "), std::string::npos) << s;
  EXPECT_NE(s.find("loss 1.5"), std::string::npos) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos) << s;
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 11);  // ten updates and the final line
}

TEST(ProgressBar, PlainModeThrottles) {
  std::ostringstream out;
  ProgressBar bar(1000, "eval", ProgressOptions().force_mode(ProgressMode::Plain).sink(&out));
  for (int i = 1; i <= 1000; ++i) bar.update(i);
  EXPECT_TRUE(out.str().empty()) << out.str();  // less than 10 s have passed
  bar.finish("done");
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
  EXPECT_NE(s.find("1000/1000"), std::string::npos) << s;
  EXPECT_NE(s.find("done"), std::string::npos) << s;
}

TEST(ProgressBar, TerminalModeRedrawsOneLine) {
  std::ostringstream out;
  {
    ProgressBar bar(4, "gen", ProgressOptions().force_mode(ProgressMode::Terminal).sink(&out).bar_width(8));
    bar.update(2, "x");
    bar.finish();
  }
  const std::string s = out.str();
  EXPECT_EQ(s.front(), '\r');
  EXPECT_NE(s.find("gen [####....] 2/4"), std::string::npos) << s;
  EXPECT_NE(s.find("<"), std::string::npos) << s;  // elapsed<eta
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1) << s;
}

TEST(ProgressBar, UnknownTotal) {
  std::ostringstream out;
  ProgressBar bar(0, "scan", ProgressOptions().force_mode(ProgressMode::Plain).sink(&out));
  bar.update(42);
  bar.finish();
  EXPECT_NE(out.str().find("scan 42  "), std::string::npos) << out.str();
}

TEST(ProgressBar, FormatDuration) {
  EXPECT_EQ(beyond::detail::format_duration(0), "00:00");
  EXPECT_EQ(beyond::detail::format_duration(75.2), "01:15");
  EXPECT_EQ(beyond::detail::format_duration(3725), "1:02:05");
  EXPECT_EQ(beyond::detail::format_duration(-1), "--:--");
}
