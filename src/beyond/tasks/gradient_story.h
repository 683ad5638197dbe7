#pragma once
/// The vanishing / exploding gradient story as one experiment: fresh one-layer recurrent networks
/// (the same seed for every curve) read the same adding-problem sequences; the loss is the MSE of a
/// linear readout of the last hidden state, so the gradient enters at t = T - 1 only and every
/// earlier ||dL/dh_t|| measures how far it survives the trip back. Computed in float64, so that
/// gradients far below float32's range (1e-38) are still measured, not flushed to 0. One curve per cell, and for the
/// vanilla RNN one per requested spectral radius of W_hh. `beyond gradients` and the demo draw it.
///
///   GradientStoryOptions o;  o.cells = {"rnn", "lstm"};  o.radii = {0.9, 1.0, 1.1};
///   auto curves = gradient_story(o);
///   plot_gradient_norms(curves, "grads.png");
#include <string>
#include <vector>

#include "beyond/models/sequence/gradient_diagnostics.h"

namespace beyond {

struct GradientStoryOptions {
  std::vector<std::string> cells{"rnn", "lstm"};
  /// Spectral radii of the RNN's W_hh, one curve each; empty: PyTorch's initialisation as is.
  std::vector<double> radii;
  int64_t steps = 100;   ///< T
  int64_t hidden = 128;
  int64_t batch = 16;
  double forget_bias = 1.0;  ///< LSTM
  bool jacobians = true;
  uint64_t seed = 1;
};

struct GradientCurve {
  std::string name;  ///< "rnn (radius 0.9)", "lstm", ...
  models::GradientTrace trace;
};

/// Runs the experiment of the file comment. Throws UsageError for an unknown cell or steps < 2.
std::vector<GradientCurve> gradient_story(const GradientStoryOptions& options);

/// log-scale plot of ||dL/dh_t|| against t, one line per curve, written atomically to `path`.
void plot_gradient_norms(const std::vector<GradientCurve>& curves, const std::string& path);
/// The per-step Jacobian spectral norms ||ds_t/ds_{t-1}||_2 against t (curves traced with jacobians).
void plot_jacobian_norms(const std::vector<GradientCurve>& curves, const std::string& path);

}  // namespace beyond
