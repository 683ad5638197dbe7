#include "beyond/viz/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond::viz {
namespace detail {
namespace {

/// Heckbert's "nice number": mantissa 1, 2, 5 or 10 times 10^exponent, near `x` (> 0).
struct Nice {
  double mantissa;
  int exponent;
};

Nice nice_number(double x, bool round) {
  const int exponent = static_cast<int>(std::floor(std::log10(x)));
  const double fraction = x / std::pow(10.0, exponent);
  double m = 10;
  if (round) {
    m = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  } else {
    m = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  }
  return {m, exponent};
}

/// k * 10^e computed so that e.g. 6 * 10^-1 is exactly the double nearest 0.6.
double scaled(double k, int e) { return e >= 0 ? k * std::pow(10.0, e) : k / std::pow(10.0, -e); }

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  target = std::max(target, 2);
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const Nice range = nice_number(hi - lo, false);
  const Nice step = nice_number(scaled(range.mantissa, range.exponent) / (target - 1), true);
  const double step_value = scaled(step.mantissa, step.exponent);
  if (!(std::abs(lo / step_value) < 1e15 && std::abs(hi / step_value) < 1e15)) return {lo, hi};  // no round grid
  const auto first = static_cast<int64_t>(std::floor(lo / step_value));
  const auto last = static_cast<int64_t>(std::ceil(hi / step_value));
  std::vector<double> ticks;
  for (int64_t k = first; k <= last && ticks.size() < 100; ++k) {
    ticks.push_back(scaled(static_cast<double>(k) * step.mantissa, step.exponent));
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  const int e0 = static_cast<int>(std::floor(std::log10(lo)));
  int e1 = static_cast<int>(std::ceil(std::log10(hi)));
  if (e1 <= e0) e1 = e0 + 1;
  std::vector<double> ticks;
  if (e1 - e0 <= 2) {
    // Few decades: 1, 2, 5 times powers of ten, tightened around the data.
    std::vector<double> candidates;
    for (int e = e0; e <= e1; ++e)
      for (double m : {1.0, 2.0, 5.0}) candidates.push_back(m * std::pow(10.0, e));
    double first = candidates.front(), last = candidates.back();
    for (double c : candidates)
      if (c <= lo * (1 + 1e-12)) first = c;
    for (auto it = candidates.rbegin(); it != candidates.rend(); ++it)
      if (*it >= hi * (1 - 1e-12)) last = *it;
    for (double c : candidates)
      if (c >= first && c <= last) ticks.push_back(c);
    return ticks;
  }
  const int stride = std::max(1, static_cast<int>(std::ceil((e1 - e0) / 8.0)));
  for (int e = e0;; e += stride) {
    ticks.push_back(std::pow(10.0, e));
    if (e >= e1) break;
  }
  return ticks;
}

std::string tick_label(double v, double step) {
  char buf[64];
  if (v == 0) return "0";
  const double av = std::abs(v);
  if (av >= 1e6 || av < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(std::abs(step)) + 1e-9)), 0, 6);
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

}  // namespace detail

namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTickScale = 0.42;
constexpr double kLabelScale = 0.5;
constexpr double kTitleScale = 0.65;
const cv::Scalar kBlack(0, 0, 0), kText(40, 40, 40), kGrid(228, 228, 228), kWhite(255, 255, 255);

/// The tab10 palette (BGR).
const cv::Scalar kPalette[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},   {40, 39, 214},  {189, 103, 148},
                               {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23}};

cv::Size text_size(const std::string& text, double scale, int* baseline = nullptr) {
  int base = 0;
  cv::Size s = cv::getTextSize(text, kFont, scale, 1, &base);
  if (baseline) *baseline = base;
  return s;
}

void put_text(cv::Mat& img, const std::string& text, cv::Point origin, double scale, const cv::Scalar& colour) {
  cv::putText(img, text, origin, kFont, scale, colour, 1, cv::LINE_AA);
}

/// Draws `text` rotated 90 degrees counter-clockwise, centred on (cx, cy).
void put_vertical_text(cv::Mat& img, const std::string& text, int cx, int cy, double scale) {
  int base = 0;
  const cv::Size s = text_size(text, scale, &base);
  cv::Mat patch(s.height + base + 4, s.width + 4, CV_8UC3, kWhite);
  put_text(patch, text, {2, s.height + 2}, scale, kText);
  cv::Mat rotated;
  cv::rotate(patch, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect target(cx - rotated.cols / 2, cy - rotated.rows / 2, rotated.cols, rotated.rows);
  const cv::Rect clipped = target & cv::Rect(0, 0, img.cols, img.rows);
  if (clipped.area() == 0) return;
  rotated(cv::Rect(clipped.x - target.x, clipped.y - target.y, clipped.width, clipped.height)).copyTo(img(clipped));
}

bool drawable(double x, double y, bool log_y) { return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0); }

}  // namespace

void line_plot(const std::vector<Series>& series, const PlotOptions& options, const std::string& path) {
  const int width = options.width, height = options.height;
  BEYOND_CHECK(width >= 160 && height >= 120 && width <= 16384 && height <= 16384, "line_plot(", path,
               "): size ", width, "x", height, " is outside 160x120 .. 16384x16384; set PlotOptions::width/height");
  for (size_t i = 0; i < series.size(); ++i) {
    BEYOND_CHECK(series[i].x.size() == series[i].y.size(), "line_plot(", path, "): series ", i, " '", series[i].name,
                 "' has ", series[i].x.size(), " x values but ", series[i].y.size(), " y values; they must match");
  }

  // Data range over the drawable points.
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  bool any = false;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!drawable(s.x[i], s.y[i], options.log_y)) continue;
      any = true;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  if (!any) {
    xmin = 0, xmax = 1;
    ymin = options.log_y ? 1 : 0;
    ymax = options.log_y ? 10 : 1;
  }
  const std::vector<double> xt = detail::nice_ticks(xmin, xmax, std::max(3, width / 110));
  const std::vector<double> yt =
      options.log_y ? detail::log_ticks(ymin, ymax) : detail::nice_ticks(ymin, ymax, std::max(3, height / 70));
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  const double y_step = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  std::vector<std::string> ylabels;
  int ylabel_width = 0;
  for (double v : yt) {
    ylabels.push_back(detail::tick_label(v, options.log_y ? v : y_step));
    ylabel_width = std::max(ylabel_width, text_size(ylabels.back(), kTickScale).width);
  }

  // Layout.
  const int tick_h = text_size("0", kTickScale).height;
  const int label_h = text_size("Ag", kLabelScale).height;
  const int top = options.title.empty() ? 16 : 20 + text_size(options.title, kTitleScale).height + 12;
  const int bottom = 10 + tick_h + 10 + (options.xlabel.empty() ? 0 : label_h + 12);
  const int left = 10 + (options.ylabel.empty() ? 0 : label_h + 12) + ylabel_width + 8;
  const int right = 24;
  const cv::Rect area(left, top, std::max(10, width - left - right), std::max(10, height - top - bottom));

  const double fx0 = xt.front(), fx1 = xt.back();
  auto fy = [&](double y) { return options.log_y ? std::log10(y) : y; };
  const double fy0 = fy(yt.front()), fy1 = fy(yt.back());
  auto px = [&](double x) { return area.x + (x - fx0) / (fx1 - fx0) * area.width; };
  auto py = [&](double y) { return area.y + area.height - (fy(y) - fy0) / (fy1 - fy0) * area.height; };

  cv::Mat img(height, width, CV_8UC3, kWhite);

  // Grid, ticks and tick labels.
  int last_label_right = -1000000;
  for (double v : xt) {
    const int x = static_cast<int>(std::lround(px(v)));
    cv::line(img, {x, area.y}, {x, area.y + area.height}, kGrid, 1);
    cv::line(img, {x, area.y + area.height}, {x, area.y + area.height + 4}, kBlack, 1);
    const std::string label = detail::tick_label(v, x_step);
    const cv::Size s = text_size(label, kTickScale);
    const int lx = x - s.width / 2;
    if (lx > last_label_right + 6) {
      put_text(img, label, {lx, area.y + area.height + 8 + tick_h}, kTickScale, kText);
      last_label_right = lx + s.width;
    }
  }
  for (size_t i = 0; i < yt.size(); ++i) {
    const int y = static_cast<int>(std::lround(py(yt[i])));
    cv::line(img, {area.x, y}, {area.x + area.width, y}, kGrid, 1);
    cv::line(img, {area.x - 4, y}, {area.x, y}, kBlack, 1);
    const cv::Size s = text_size(ylabels[i], kTickScale);
    put_text(img, ylabels[i], {area.x - 7 - s.width, y + s.height / 2}, kTickScale, kText);
  }
  cv::rectangle(img, area, kBlack, 1);

  // Lines (sub-pixel precision through the `shift` argument).
  constexpr int kShift = 4;
  constexpr double kScale = 1 << kShift;
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const cv::Scalar colour = kPalette[k % 10];
    std::vector<cv::Point> points;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!drawable(s.x[i], s.y[i], options.log_y)) continue;
      points.emplace_back(static_cast<int>(std::lround(px(s.x[i]) * kScale)),
                          static_cast<int>(std::lround(py(s.y[i]) * kScale)));
    }
    if (points.size() == 1) {
      cv::circle(img, points[0], 3 << kShift, colour, cv::FILLED, cv::LINE_AA, kShift);
    } else if (points.size() > 1) {
      cv::polylines(img, points, false, colour, 2, cv::LINE_AA, kShift);
    }
  }
  if (!any) {
    const cv::Size s = text_size("no data", kLabelScale);
    put_text(img, "no data", {area.x + (area.width - s.width) / 2, area.y + (area.height + s.height) / 2}, kLabelScale,
             kText);
  }

  // Legend, top right inside the plot.
  std::vector<size_t> named;
  int legend_text_w = 0;
  for (size_t k = 0; k < series.size(); ++k) {
    if (series[k].name.empty()) continue;
    named.push_back(k);
    legend_text_w = std::max(legend_text_w, text_size(series[k].name, kTickScale).width);
  }
  if (!named.empty()) {
    const int row_h = tick_h + 8;
    const cv::Rect box(area.x + area.width - (legend_text_w + 44) - 8, area.y + 8, legend_text_w + 44,
                       static_cast<int>(named.size()) * row_h + 8);
    cv::rectangle(img, box, kWhite, cv::FILLED);
    cv::rectangle(img, box, cv::Scalar(190, 190, 190), 1);
    for (size_t r = 0; r < named.size(); ++r) {
      const int cy = box.y + 4 + static_cast<int>(r) * row_h + row_h / 2;
      cv::line(img, {box.x + 8, cy}, {box.x + 30, cy}, kPalette[named[r] % 10], 2, cv::LINE_AA);
      put_text(img, series[named[r]].name, {box.x + 36, cy + tick_h / 2}, kTickScale, kText);
    }
  }

  // Title and axis labels.
  if (!options.title.empty()) {
    const cv::Size s = text_size(options.title, kTitleScale);
    put_text(img, options.title, {std::max(2, (width - s.width) / 2), 14 + s.height}, kTitleScale, kBlack);
  }
  if (!options.xlabel.empty()) {
    const cv::Size s = text_size(options.xlabel, kLabelScale);
    put_text(img, options.xlabel, {area.x + (area.width - s.width) / 2, height - 10}, kLabelScale, kText);
  }
  if (!options.ylabel.empty()) {
    put_vertical_text(img, options.ylabel, 10 + label_h / 2 + 2, area.y + area.height / 2, kLabelScale);
  }

  std::string ext = std::filesystem::path(path).extension().string();
  if (ext.empty()) ext = ".png";
  std::vector<uchar> encoded;
  bool ok = false;
  try {
    ok = cv::imencode(ext, img, encoded);
  } catch (const cv::Exception& e) {
    throw Error(::beyond::str("line_plot(", path, "): OpenCV cannot encode '", ext, "' (", e.what(), "); name the file .png"));
  }
  BEYOND_CHECK(ok, "line_plot(", path, "): OpenCV failed to encode the plot as '", ext, "'; name the file .png");
  write_file_atomic(path, std::string(encoded.begin(), encoded.end()));
}

}  // namespace beyond::viz
