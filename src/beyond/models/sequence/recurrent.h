#pragma once
/// Recurrent networks for sequences: a vanilla (tanh) RNN, an LSTM and a GRU, stacked in layers, with
/// two interchangeable implementations of one set of parameters:
///
/// - our own cells (`fused(false)`, the default), written from the equations and run step by step,
///   so that every hidden state h_t is an ordinary autograd node (the gradient diagnostics hook them);
/// - the fused path (`fused(true)`): the ATen kernels behind torch::nn::LSTM / RNN / GRU
///   (at::lstm, at::gru, at::rnn_tanh), called on the same parameter tensors.
///
/// Parameter names, shapes and gate order are PyTorch's (`weight_ih_l0` [G*H, input_size],
/// `weight_hh_l0` [G*H, H], `bias_ih_l0`, `bias_hh_l0`, then `..._l1`; G = 1 (RNN), 4 (LSTM, gates
/// i, f, g, o), 3 (GRU, gates r, z, n)), so one state_dict loads into either path and into Python's
/// nn.LSTM / nn.GRU / nn.RNN. The equations (x = layer input, h = previous hidden state):
///
///   RNN:  h_t = tanh(W_ih x + b_ih + W_hh h + b_hh)
///   LSTM: [i, f, g, o] = W_ih x + b_ih + W_hh h + b_hh;  i, f, o = sigmoid(.), c~ = tanh(g)
///         c_t = f * c_{t-1} + i * c~,   h_t = o * tanh(c_t)
///   GRU:  r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
///         n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h
///
/// Inputs are time-major, [T, N, input_size]; states are [num_layers, N, H].
///
///   beyond::models::Recurrent lstm(beyond::models::RecurrentOptions(beyond::models::CellKind::LSTM, 32, 128)
///                                     .num_layers(2).forget_bias(1.0));
///   auto [out, state] = lstm->forward(torch::randn({100, 8, 32}));   // out [100,8,128]
///   auto [out2, state2] = lstm->forward(next_chunk, beyond::models::detach(state));  // truncated BPTT
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace beyond::models {

enum class CellKind { RNN, LSTM, GRU };

/// "rnn" | "lstm" | "gru" (lower case); anything else throws UsageError naming the choices.
CellKind parse_cell_kind(const std::string& name);
/// "rnn" | "lstm" | "gru".
std::string cell_kind_name(CellKind kind);
/// Gates per cell: 1 (RNN), 4 (LSTM), 3 (GRU); the weights have gates * hidden_size rows.
int64_t gate_count(CellKind kind);

/// Hidden state of a stack of recurrent layers. h, c: [num_layers, N, H]; c only for the LSTM.
/// An undefined tensor means zeros (the start of a sequence).
struct RecurrentState {
  torch::Tensor h;
  torch::Tensor c;
};

/// The same state cut off from the graph that produced it: truncated BPTT carries the values over
/// a window boundary but not the gradient.
RecurrentState detach(const RecurrentState& s);

/// Options of `Recurrent`.
struct RecurrentOptions {
  RecurrentOptions(CellKind cell, int64_t input_size, int64_t hidden_size)
      : cell_(cell), input_size_(input_size), hidden_size_(hidden_size) {}
  TORCH_ARG(CellKind, cell);
  TORCH_ARG(int64_t, input_size);
  TORCH_ARG(int64_t, hidden_size);
  TORCH_ARG(int64_t, num_layers) = 1;
  /// Dropout on the outputs of every layer but the last, in training only (PyTorch's semantics).
  TORCH_ARG(double, dropout) = 0.0;
  /// LSTM only: added to the forget-gate slice of bias_ih at initialisation (Gers et al. 2000;
  /// Jozefowicz et al. 2015 recommend 1.0), so that a fresh cell remembers rather than forgets.
  TORCH_ARG(double, forget_bias) = 0.0;
  /// true: the fused ATen kernels of torch::nn::LSTM / RNN / GRU; false: our cells, step by step.
  TORCH_ARG(bool, fused) = false;
  /// LSTM with fused(true) only: each layer runs `lstm_sequence` (lstm_sequence.h: one autograd node
  /// per layer with a hand-written backward, the weight gradients of all steps in one product) instead
  /// of at::lstm. Same equations and parameters; equal up to the order of floating-point sums.
  TORCH_ARG(bool, sequence_kernel) = false;
};

/// One step of one layer: the new hidden state (and cell state for the LSTM; undefined otherwise).
struct CellState {
  torch::Tensor h;  ///< [N, H]
  torch::Tensor c;  ///< [N, H], LSTM only
};

/// See the file comment.
class RecurrentImpl : public torch::nn::Cloneable<RecurrentImpl> {
 public:
  explicit RecurrentImpl(RecurrentOptions o);

  /// Re-creates the parameters: uniform(-1/sqrt(H), 1/sqrt(H)) as PyTorch does, plus forget_bias.
  void reset() override;

  /// input [T, N, input_size] (time-major); returns outputs [T, N, H] of the last layer and the final
  /// state. `state` fields may be undefined (zeros). Throws beyond::Error naming the bad shape.
  std::pair<torch::Tensor, RecurrentState> forward(const torch::Tensor& input, RecurrentState state = {});

  /// forward(embedding[ids]) for ids [T, N] int64 and an embedding table [V, input_size]. With the
  /// LSTM sequence kernel and V < T N, the table is folded into the first layer's input projection
  /// (lstm_sequence_embedded: the same result with far smaller products); otherwise the rows are
  /// gathered and passed to forward.
  std::pair<torch::Tensor, RecurrentState> forward_embedded(const torch::Tensor& ids, const torch::Tensor& embedding,
                                                            RecurrentState state = {});

  /// One step of layer `layer` of our cells, from the equations: x [N, in], h/c [N, H] -> new state.
  /// Exposed so that diagnostics can unroll a sequence themselves and hold on to every h_t.
  CellState cell_step(int64_t layer, const torch::Tensor& x, const CellState& prev);

  /// The parameters of layer `layer` in PyTorch's order: weight_ih, weight_hh, bias_ih, bias_hh.
  std::vector<torch::Tensor> layer_parameters(int64_t layer) const;

  const RecurrentOptions& options() const { return options_; }

 private:
  RecurrentState check_state(const torch::Tensor& input, const RecurrentState& state) const;
  std::pair<torch::Tensor, RecurrentState> forward_fused(const torch::Tensor& input, const RecurrentState& s);
  std::pair<torch::Tensor, RecurrentState> forward_cells(const torch::Tensor& input, const RecurrentState& s);
  /// input [T, N, input_size]; or, with ids [T, N], the embedding table [V, input_size] they index.
  std::pair<torch::Tensor, RecurrentState> forward_lstm_sequence(const torch::Tensor& input, const RecurrentState& s,
                                                                 const torch::Tensor& ids = {});

  RecurrentOptions options_;
  /// Per layer: weight_ih, weight_hh, bias_ih, bias_hh.
  std::vector<std::vector<torch::Tensor>> weights_;
};

TORCH_MODULE(Recurrent);

}  // namespace beyond::models
