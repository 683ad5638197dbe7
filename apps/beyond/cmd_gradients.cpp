// beyond gradients --cell rnn,lstm --T 100 --out grads.png [--spectral-radius 0.9,1.0,1.1]
//                  [--jacobians J.png] [--csv G.csv] [--hidden 128 --batch 16 --seed 1]
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/tasks/gradient_story.h"
#include "commands.h"

namespace beyond::cli {

namespace {

/// One row per curve and step: curve, t, ||dL/dh_t||, ||dL/dc_t||, Jacobian spectral, Frobenius.
std::string curves_csv(const std::vector<GradientCurve>& curves) {
  std::ostringstream os;
  os.precision(9);
  os << "curve,t,grad_norm,cell_grad_norm,jacobian_spectral,jacobian_frobenius\n";
  for (const auto& c : curves) {
    const auto& tr = c.trace;
    for (size_t t = 0; t < tr.grad_norm.size(); ++t) {
      os << '"' << c.name << "\"," << t << ',' << tr.grad_norm[t] << ','
         << (t < tr.cell_grad_norm.size() ? tr.cell_grad_norm[t] : NAN) << ','
         << (t < tr.jacobian_spectral.size() ? tr.jacobian_spectral[t] : NAN) << ','
         << (t < tr.jacobian_frobenius.size() ? tr.jacobian_frobenius[t] : NAN) << '\n';
    }
  }
  return os.str();
}

double mean_finite(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) sum += x, ++n;
  return n > 0 ? sum / n : NAN;
}

}  // namespace

void add_gradients(CLI::App& app, const GlobalOptions& /*global*/) {
  struct Args {
    GradientStoryOptions story;
    std::string out, jacobians, csv;
  };
  auto a = std::make_shared<Args>();
  a->story.cells = {"rnn", "lstm"};
  auto* cmd = app.add_subcommand(
      "gradients", "plot ||dL/dh_t|| over t for fresh RNN / LSTM / GRU on one long sequence (vanishing / exploding)");
  cmd->add_option("--cell", a->story.cells, "cells to compare, comma-separated: rnn, lstm, gru")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--T", a->story.steps, "sequence length")->capture_default_str();
  cmd->add_option("--spectral-radius", a->story.radii,
                  "RNN only: rescale W_hh to these spectral radii, one curve each (e.g. 0.9,1.0,1.1)")
      ->delimiter(',');
  cmd->add_option("--hidden", a->story.hidden, "hidden units")->capture_default_str();
  cmd->add_option("--batch", a->story.batch, "sequences in the batch")->capture_default_str();
  cmd->add_option("--forget-bias", a->story.forget_bias, "LSTM forget-gate bias at init")->capture_default_str();
  cmd->add_option("--seed", a->story.seed, "seed of weights and sequences")->capture_default_str();
  cmd->add_option("--out", a->out, "PNG of log ||dL/dh_t|| against t")->required();
  cmd->add_option("--jacobians", a->jacobians, "also plot the per-step Jacobian spectral norms here (PNG)");
  cmd->add_option("--csv", a->csv, "write every number (per curve and step) as CSV");
  cmd->callback([a] {
    a->story.jacobians = !a->jacobians.empty() || !a->csv.empty();
    const auto curves = gradient_story(a->story);
    plot_gradient_norms(curves, a->out);
    if (!a->jacobians.empty()) plot_jacobian_norms(curves, a->jacobians);
    if (!a->csv.empty()) write_file_atomic(a->csv, curves_csv(curves));
    std::printf("%-20s %14s %14s %10s %12s\n", "curve", "|dL/dh_T-1|", "|dL/dh_0|", "log10 0/T-1",
                a->story.jacobians ? "mean |J|_2" : "");
    for (const auto& c : curves) {
      const double last = c.trace.grad_norm.back(), first = c.trace.grad_norm.front();
      std::printf("%-20s %14.4g %14.4g %10.2f", c.name.c_str(), last, first, std::log10(first / last));
      if (a->story.jacobians) std::printf(" %12.4g", mean_finite(c.trace.jacobian_spectral));
      std::printf("\n");
    }
    std::cout << "wrote " << a->out << (a->jacobians.empty() ? "" : ", " + a->jacobians)
              << (a->csv.empty() ? "" : ", " + a->csv) << "\n";
  });
}

}  // namespace beyond::cli
