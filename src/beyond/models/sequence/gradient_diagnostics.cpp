#include "beyond/models/sequence/gradient_diagnostics.h"

#include <torch/torch.h>

#include <limits>

#include "beyond/core/error.h"

namespace beyond::models {

namespace {

/// The recurrent state as one row vector per sequence: h, or [h, c] for the LSTM.
torch::Tensor flat_state(const CellState& s) { return s.c.defined() ? torch::cat({s.h, s.c}, 1) : s.h; }

/// Exact Jacobian d s_t / d s_{t-1} [D, D] of one step at (x, prev) for one sequence (rows of 1):
/// the step runs on D copies of s_{t-1}, and one backward pass with the identity as output gradient
/// gives row i of the Jacobian in row i of the input gradient.
torch::Tensor step_jacobian(RecurrentImpl& model, const torch::Tensor& x, const CellState& prev) {
  const bool lstm = prev.c.defined();
  const int64_t hidden = prev.h.size(1);
  const int64_t d = lstm ? 2 * hidden : hidden;
  torch::Tensor s = flat_state(prev).detach().expand({d, d}).clone().requires_grad_(true);
  CellState rows{s.narrow(1, 0, hidden), lstm ? s.narrow(1, hidden, hidden) : torch::Tensor()};
  torch::Tensor next = flat_state(model.cell_step(0, x.expand({d, x.size(1)}), rows));
  return torch::autograd::grad({next}, {s}, {torch::eye(d, next.options())})[0];
}

}  // namespace

GradientTrace trace_gradients(RecurrentImpl& model, const torch::Tensor& input, const OutputLoss& loss,
                              bool jacobians) {
  const auto& o = model.options();
  BEYOND_CHECK(o.num_layers() == 1, "trace_gradients takes a one-layer Recurrent, got num_layers=", o.num_layers());
  BEYOND_CHECK(input.dim() == 3 && input.size(2) == o.input_size(), "trace_gradients expects input [T, N, ",
               o.input_size(), "], got ", input.sizes());
  const bool lstm = o.cell() == CellKind::LSTM;
  const int64_t steps = input.size(0), n = input.size(1);
  CellState state{torch::zeros({n, o.hidden_size()}, input.options()),
                  lstm ? torch::zeros({n, o.hidden_size()}, input.options()) : torch::Tensor()};
  GradientTrace trace;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<torch::Tensor> hs, cs;
  for (int64_t t = 0; t < steps; ++t) {
    if (jacobians) {
      if (t == 0) {
        trace.jacobian_spectral.push_back(nan);
        trace.jacobian_frobenius.push_back(nan);
      } else {
        torch::Tensor j = step_jacobian(model, input[t].narrow(0, 0, 1), {state.h.narrow(0, 0, 1),
                                        lstm ? state.c.narrow(0, 0, 1) : torch::Tensor()});
        trace.jacobian_spectral.push_back(at::linalg_svdvals(j.to(torch::kFloat64)).max().item<double>());
        trace.jacobian_frobenius.push_back(j.norm().item<double>());
      }
    }
    state = model.cell_step(0, input[t], state);
    hs.push_back(state.h);
    if (lstm) cs.push_back(state.c);
  }
  torch::Tensor l = loss(torch::stack(hs));
  BEYOND_CHECK(l.numel() == 1, "trace_gradients: the loss must be a scalar, got shape ", l.sizes());
  std::vector<torch::Tensor> wrt = hs;
  wrt.insert(wrt.end(), cs.begin(), cs.end());
  // allow_unused: steps after the last one the loss reads get no gradient (reported as 0).
  auto grads = torch::autograd::grad({l}, wrt, {}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
  auto norm = [](const torch::Tensor& g) { return g.defined() ? g.norm().item<double>() : 0.0; };
  for (int64_t t = 0; t < steps; ++t) trace.grad_norm.push_back(norm(grads[static_cast<size_t>(t)]));
  if (lstm)
    for (int64_t t = 0; t < steps; ++t) trace.cell_grad_norm.push_back(norm(grads[static_cast<size_t>(steps + t)]));
  trace.loss = l.item<double>();
  return trace;
}

double spectral_radius(const torch::Tensor& matrix) {
  BEYOND_CHECK(matrix.dim() == 2 && matrix.size(0) == matrix.size(1), "spectral_radius expects a square matrix, got ",
               matrix.sizes());
  return torch::linalg::eigvals(matrix.detach().to(torch::kFloat64)).abs().max().item<double>();
}

std::vector<double> set_recurrent_spectral_radius(RecurrentImpl& model, double radius) {
  BEYOND_CHECK(radius > 0, "spectral radius must be positive, got ", radius);
  const int64_t hidden = model.options().hidden_size();
  std::vector<double> before;
  torch::NoGradGuard no_grad;
  for (int64_t l = 0; l < model.options().num_layers(); ++l) {
    torch::Tensor w_hh = model.layer_parameters(l)[1];
    for (int64_t g = 0; g < gate_count(model.options().cell()); ++g) {
      torch::Tensor block = w_hh.narrow(0, g * hidden, hidden);
      const double rho = spectral_radius(block);
      before.push_back(rho);
      BEYOND_CHECK(rho > 0, "set_recurrent_spectral_radius: weight_hh_l", l, " gate block ", g,
                   " has spectral radius 0; it cannot be rescaled");
      block.mul_(radius / rho);
    }
  }
  return before;
}

}  // namespace beyond::models
