#include "beyond/tasks/gradient_story.h"

#include <torch/torch.h>

#include <cstdio>

#include "beyond/core/error.h"
#include "beyond/data/generators/long_range.h"
#include "beyond/viz/plot.h"

namespace beyond {

namespace {

std::string radius_name(double r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", r);
  return buf;
}

GradientCurve trace_one(const GradientStoryOptions& o, models::CellKind cell, const torch::Tensor& x,
                        const torch::Tensor& target, double radius) {
  torch::manual_seed(o.seed);
  models::Recurrent rnn(models::RecurrentOptions(cell, x.size(2), o.hidden).forget_bias(o.forget_bias));
  torch::nn::Linear readout(o.hidden, 1);
  // In float64: a vanilla RNN's gradient falls below float32's smallest number within 100 steps.
  rnn->to(torch::kFloat64);
  readout->to(torch::kFloat64);
  std::string name = models::cell_kind_name(cell);
  if (radius > 0) {
    models::set_recurrent_spectral_radius(*rnn, radius);
    name += " (radius " + radius_name(radius) + ")";
  }
  auto trace = models::trace_gradients(*rnn, x, [&](const torch::Tensor& hidden) {
    return torch::mse_loss(readout->forward(hidden[-1]).squeeze(-1), target);
  }, o.jacobians);
  return {name, trace};
}

void plot_per_step(const std::vector<GradientCurve>& curves, const std::string& path, const std::string& title,
                   const std::string& ylabel, bool log_y, std::vector<double> models::GradientTrace::*field) {
  std::vector<viz::Series> series;
  for (const auto& c : curves) {
    viz::Series s{c.name, {}, {}};
    const auto& values = c.trace.*field;
    for (size_t t = 0; t < values.size(); ++t) {
      s.x.push_back(static_cast<double>(t));
      s.y.push_back(values[t]);
    }
    series.push_back(std::move(s));
  }
  viz::PlotOptions o;
  o.title = title;
  o.xlabel = "t";
  o.ylabel = ylabel;
  o.log_y = log_y;
  viz::line_plot(series, o, path);
}

}  // namespace

std::vector<GradientCurve> gradient_story(const GradientStoryOptions& o) {
  BEYOND_CHECK_USAGE(o.steps >= 2, "gradients: --T must be at least 2, got ", o.steps);
  BEYOND_CHECK_USAGE(o.hidden > 0 && o.batch > 0, "gradients: --hidden and --batch must be positive");
  for (double r : o.radii) BEYOND_CHECK_USAGE(r > 0, "gradients: spectral radii must be positive, got ", r);
  auto data = data::adding_problem(o.steps, o.batch, o.seed, 0);
  data.input = data.input.to(torch::kFloat64);
  data.target = data.target.to(torch::kFloat64);
  std::vector<GradientCurve> curves;
  for (const auto& name : o.cells) {
    const models::CellKind cell = models::parse_cell_kind(name);
    if (cell == models::CellKind::RNN && !o.radii.empty()) {
      for (double r : o.radii) curves.push_back(trace_one(o, cell, data.input, data.target, r));
    } else {
      curves.push_back(trace_one(o, cell, data.input, data.target, 0.0));
    }
  }
  return curves;
}

void plot_gradient_norms(const std::vector<GradientCurve>& curves, const std::string& path) {
  const size_t steps = curves.empty() ? 0 : curves.front().trace.grad_norm.size();
  plot_per_step(curves, path, "||dL/dh_t||, loss at t = " + std::to_string(steps > 0 ? steps - 1 : 0),
                "||dL/dh_t|| (log scale)", true, &models::GradientTrace::grad_norm);
}

void plot_jacobian_norms(const std::vector<GradientCurve>& curves, const std::string& path) {
  plot_per_step(curves, path, "per-step Jacobian spectral norm ||ds_t/ds_{t-1}||_2", "spectral norm", false,
                &models::GradientTrace::jacobian_spectral);
}

}  // namespace beyond
