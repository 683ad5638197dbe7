#pragma once
/// The vanishing / exploding gradient story in numbers. BPTT multiplies the loss gradient by one
/// Jacobian dh_t/dh_{t-1} per step back in time, so ||dL/dh_t|| shrinks or grows geometrically with
/// T - t unless those Jacobians have norm close to 1 (the LSTM's cell state path, when f ~ 1).
///
/// `trace_gradients` unrolls a one-layer `Recurrent` with our own cells over a sequence, keeps every
/// hidden state h_t in the graph (retain_grad), backpropagates a loss on the outputs, and records
///   - ||dL/dh_t||_2 for every t: the total derivative through all later steps (the whole batch's
///     [N, H] gradient, Frobenius norm); for the LSTM also ||dL/dc_t||;
///   - the exact per-step Jacobian of the full recurrent state s_t = h_t (RNN, GRU) or (h_t, c_t)
///     (LSTM) with respect to s_{t-1}, for the first sequence of the batch, at the states the
///     sequence actually visits: its spectral norm (largest singular value, by SVD) and its
///     Frobenius norm.
///
///   auto trace = beyond::models::trace_gradients(*rnn, x, [](const torch::Tensor& out) {
///     return out[-1].pow(2).sum(); });
///   // trace.grad_norm[t], t = 0..T-1; trace.jacobian_spectral[t], t = 1..T-1 (entry 0 is NaN)
#include <torch/types.h>

#include <functional>
#include <vector>

#include "beyond/models/sequence/recurrent.h"

namespace beyond::models {

struct GradientTrace {
  std::vector<double> grad_norm;           ///< ||dL/dh_t||, t = 0..T-1
  std::vector<double> cell_grad_norm;      ///< ||dL/dc_t|| (LSTM only; empty otherwise)
  std::vector<double> jacobian_spectral;   ///< ||ds_t/ds_{t-1}||_2, t = 0..T-1; entry 0 is NaN (no s_{-1})
  std::vector<double> jacobian_frobenius;  ///< ||ds_t/ds_{t-1}||_F, same indexing
  double loss = 0;
};

/// Loss of the outputs [T, N, H] (the hidden states of the layer).
using OutputLoss = std::function<torch::Tensor(const torch::Tensor& outputs)>;

/// See the file comment. `model` must have one layer; `input` is [T, N, input_size]; the initial
/// state is zeros. Parameter gradients are left untouched (the trace uses autograd::grad).
/// `jacobians = false` skips the Jacobians (they cost one small backward pass per step).
GradientTrace trace_gradients(RecurrentImpl& model, const torch::Tensor& input, const OutputLoss& loss,
                              bool jacobians = true);

/// Rescales every H x H gate block of every weight_hh so that its spectral radius (largest
/// |eigenvalue|) is `radius`: the knob that decides whether a vanilla RNN's gradients vanish (< 1)
/// or can explode (> 1). Returns the radii found before rescaling (for the RNN, one per layer).
std::vector<double> set_recurrent_spectral_radius(RecurrentImpl& model, double radius);

/// The spectral radius of a square matrix.
double spectral_radius(const torch::Tensor& matrix);

}  // namespace beyond::models
