#pragma once
/// Line plots drawn with OpenCV and written as PNG: loss curves, learning rates, metrics over steps.
///
///   beyond::viz::Series train{"train loss", steps, train_loss};
///   beyond::viz::Series val{"val loss", val_steps, val_loss};
///   beyond::viz::PlotOptions o;
///   o.title = "VAE on Fashion-MNIST"; o.xlabel = "step"; o.ylabel = "negative ELBO"; o.log_y = true;
///   beyond::viz::line_plot({train, val}, o, run_dir + "/loss.png");
#include <string>
#include <vector>

namespace beyond::viz {

/// One line: points (x[i], y[i]); x and y have the same length. Non-finite points are skipped
/// (and, with log_y, points with y <= 0).
struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct PlotOptions {
  std::string title, xlabel, ylabel;
  bool log_y = false;
  int width = 800, height = 480;
};

/// Draws `series` with axes, grid, round-numbered tick labels, a legend (for named series) in distinct
/// colours and the title, and writes the picture atomically to `path` (PNG unless the extension says
/// otherwise). With no drawable point it draws the axes and "no data".
void line_plot(const std::vector<Series>& series, const PlotOptions& options, const std::string& path);

namespace detail {
/// Round tick positions covering [lo, hi] (about `target` of them, steps of 1, 2 or 5 times a power of 10);
/// the first and last tick enclose the range.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
/// Tick positions at powers of ten (with 2x and 5x when the range spans few decades) covering [lo, hi] > 0.
std::vector<double> log_ticks(double lo, double hi);
/// A short label for tick value `v` given the spacing `step` of its neighbours.
std::string tick_label(double v, double step);
}  // namespace detail

}  // namespace beyond::viz
