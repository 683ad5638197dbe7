#include "beyond/models/sequence/recurrent.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"
#include "beyond/models/sequence/lstm_sequence.h"

namespace beyond::models {

CellKind parse_cell_kind(const std::string& name) {
  if (name == "rnn") return CellKind::RNN;
  if (name == "lstm") return CellKind::LSTM;
  if (name == "gru") return CellKind::GRU;
  throw UsageError(str("unknown recurrent cell '", name, "'; choose rnn, lstm or gru"));
}

std::string cell_kind_name(CellKind kind) {
  switch (kind) {
    case CellKind::RNN: return "rnn";
    case CellKind::LSTM: return "lstm";
    case CellKind::GRU: return "gru";
  }
  return "?";
}

int64_t gate_count(CellKind kind) {
  switch (kind) {
    case CellKind::RNN: return 1;
    case CellKind::LSTM: return 4;
    case CellKind::GRU: return 3;
  }
  return 0;
}

RecurrentState detach(const RecurrentState& s) {
  return {s.h.defined() ? s.h.detach() : s.h, s.c.defined() ? s.c.detach() : s.c};
}

namespace {

/// One step given the input projection gi = W_ih x + b_ih [N, G*H]: the cell equations of the file
/// comment of recurrent.h.
CellState step_from_projection(CellKind kind, const torch::Tensor& gi, const CellState& prev,
                               const torch::Tensor& w_hh, const torch::Tensor& b_hh) {
  torch::Tensor gh = torch::nn::functional::linear(prev.h, w_hh, b_hh);
  switch (kind) {
    case CellKind::RNN: return {torch::tanh(gi + gh), {}};
    case CellKind::LSTM: {
      auto g = (gi + gh).chunk(4, 1);
      torch::Tensor i = torch::sigmoid(g[0]), f = torch::sigmoid(g[1]);
      torch::Tensor candidate = torch::tanh(g[2]), o = torch::sigmoid(g[3]);
      torch::Tensor c = f * prev.c + i * candidate;
      return {o * torch::tanh(c), c};
    }
    case CellKind::GRU: {
      auto xi = gi.chunk(3, 1), hh = gh.chunk(3, 1);
      torch::Tensor r = torch::sigmoid(xi[0] + hh[0]);
      torch::Tensor z = torch::sigmoid(xi[1] + hh[1]);
      torch::Tensor n = torch::tanh(xi[2] + r * hh[2]);
      return {(1 - z) * n + z * prev.h, {}};
    }
  }
  return {};
}

}  // namespace

RecurrentImpl::RecurrentImpl(RecurrentOptions o) : options_(std::move(o)) { reset(); }

void RecurrentImpl::reset() {
  const auto& o = options_;
  BEYOND_CHECK(o.input_size() > 0 && o.hidden_size() > 0 && o.num_layers() > 0,
               "RecurrentOptions: input_size, hidden_size and num_layers must be positive, got input_size=",
               o.input_size(), " hidden_size=", o.hidden_size(), " num_layers=", o.num_layers());
  BEYOND_CHECK(o.dropout() >= 0.0 && o.dropout() < 1.0, "RecurrentOptions: dropout must be in [0, 1), got ",
               o.dropout());
  const int64_t gates = gate_count(o.cell()) * o.hidden_size();
  const double bound = 1.0 / std::sqrt(static_cast<double>(o.hidden_size()));
  weights_.clear();
  for (int64_t l = 0; l < o.num_layers(); ++l) {
    const int64_t in = l == 0 ? o.input_size() : o.hidden_size();
    const std::string sfx = "_l" + std::to_string(l);
    std::vector<torch::Tensor> w;
    w.push_back(register_parameter("weight_ih" + sfx, torch::empty({gates, in})));
    w.push_back(register_parameter("weight_hh" + sfx, torch::empty({gates, o.hidden_size()})));
    w.push_back(register_parameter("bias_ih" + sfx, torch::empty({gates})));
    w.push_back(register_parameter("bias_hh" + sfx, torch::empty({gates})));
    torch::NoGradGuard no_grad;
    for (auto& p : w) p.uniform_(-bound, bound);
    if (o.cell() == CellKind::LSTM && o.forget_bias() != 0.0)
      w[2].narrow(0, o.hidden_size(), o.hidden_size()).add_(o.forget_bias());
    weights_.push_back(std::move(w));
  }
}

std::vector<torch::Tensor> RecurrentImpl::layer_parameters(int64_t layer) const {
  BEYOND_CHECK(layer >= 0 && layer < options_.num_layers(), "Recurrent: layer ", layer, " out of range [0, ",
               options_.num_layers(), ")");
  return weights_[static_cast<size_t>(layer)];
}

RecurrentState RecurrentImpl::check_state(const torch::Tensor& input, const RecurrentState& state) const {
  const auto& o = options_;
  BEYOND_CHECK(input.defined() && input.dim() == 3,
               "Recurrent::forward expects input of shape [T, N, input_size] (time-major), got ",
               input.defined() ? input.sizes() : torch::IntArrayRef{});
  BEYOND_CHECK(input.size(2) == o.input_size(), "Recurrent::forward expects input of shape [T, N, ",
               o.input_size(), "] (input_size = ", o.input_size(), "), got ", input.sizes());
  BEYOND_CHECK(input.is_floating_point(), "Recurrent::forward expects floating point input, got ",
               input.scalar_type());
  BEYOND_CHECK(input.size(0) > 0, "Recurrent::forward expects at least one time step, got input ", input.sizes());
  const std::vector<int64_t> expected{o.num_layers(), input.size(1), o.hidden_size()};
  auto checked = [&](const torch::Tensor& t, const char* name) {
    if (!t.defined()) return torch::zeros(expected, input.options());
    BEYOND_CHECK(t.sizes() == torch::IntArrayRef(expected), "Recurrent::forward: state.", name,
                 " must be [num_layers, N, hidden_size] = ", torch::IntArrayRef(expected), ", got ", t.sizes());
    return t;
  };
  BEYOND_CHECK(o.cell() == CellKind::LSTM || !state.c.defined(), "Recurrent::forward: state.c is only used by the ",
               "LSTM, but this is a ", cell_kind_name(o.cell()), "; pass an undefined c");
  RecurrentState s{checked(state.h, "h"), {}};
  if (o.cell() == CellKind::LSTM) s.c = checked(state.c, "c");
  return s;
}

std::pair<torch::Tensor, RecurrentState> RecurrentImpl::forward(const torch::Tensor& input, RecurrentState state) {
  RecurrentState s = check_state(input, state);
  if (!options_.fused()) return forward_cells(input, s);
  if (options_.sequence_kernel() && options_.cell() == CellKind::LSTM) return forward_lstm_sequence(input, s);
  return forward_fused(input, s);
}

std::pair<torch::Tensor, RecurrentState> RecurrentImpl::forward_embedded(const torch::Tensor& ids,
                                                                         const torch::Tensor& embedding,
                                                                         RecurrentState state) {
  BEYOND_CHECK(ids.defined() && ids.dim() == 2 && ids.scalar_type() == torch::kInt64,
               "Recurrent::forward_embedded expects ids as a [T, N] int64 tensor, got ",
               ids.defined() ? ids.sizes() : torch::IntArrayRef{});
  BEYOND_CHECK(embedding.defined() && embedding.dim() == 2 && embedding.size(0) > 0,
               "Recurrent::forward_embedded expects an embedding table [V, input_size], got ",
               embedding.defined() ? embedding.sizes() : torch::IntArrayRef{});
  const auto& o = options_;
  const bool fold = o.fused() && o.sequence_kernel() && o.cell() == CellKind::LSTM && embedding.size(0) < ids.numel();
  if (!fold) return forward(torch::embedding(embedding, ids), std::move(state));
  // The shapes forward would see, without gathering anything.
  const torch::Tensor as_input = embedding[0].expand({ids.size(0), ids.size(1), embedding.size(1)});
  return forward_lstm_sequence(embedding, check_state(as_input, state), ids);
}

std::pair<torch::Tensor, RecurrentState> RecurrentImpl::forward_lstm_sequence(const torch::Tensor& input,
                                                                              const RecurrentState& s,
                                                                              const torch::Tensor& ids) {
  const auto& o = options_;
  torch::Tensor x = input;
  std::vector<torch::Tensor> final_h, final_c;
  for (int64_t l = 0; l < o.num_layers(); ++l) {
    const auto& w = weights_[static_cast<size_t>(l)];
    auto [y, h, c] = l == 0 && ids.defined() ? lstm_sequence_embedded(ids, input, s.h[l], s.c[l], w[0], w[1], w[2], w[3])
                                             : lstm_sequence(x, s.h[l], s.c[l], w[0], w[1], w[2], w[3]);
    final_h.push_back(h);
    final_c.push_back(c);
    x = y;
    if (l + 1 < o.num_layers() && o.dropout() > 0.0) x = torch::dropout(x, o.dropout(), is_training());
  }
  return {x, {torch::stack(final_h), torch::stack(final_c)}};
}

std::pair<torch::Tensor, RecurrentState> RecurrentImpl::forward_fused(const torch::Tensor& input,
                                                                      const RecurrentState& s) {
  std::vector<torch::Tensor> flat;
  for (const auto& w : weights_) flat.insert(flat.end(), w.begin(), w.end());
  const auto& o = options_;
  const bool train = is_training();
  switch (o.cell()) {
    case CellKind::LSTM: {
      auto [out, h, c] = at::lstm(input, {s.h, s.c}, flat, true, o.num_layers(), o.dropout(), train, false, false);
      return {out, {h, c}};
    }
    case CellKind::GRU: {
      auto [out, h] = at::gru(input, s.h, flat, true, o.num_layers(), o.dropout(), train, false, false);
      return {out, {h, {}}};
    }
    case CellKind::RNN: {
      auto [out, h] = at::rnn_tanh(input, s.h, flat, true, o.num_layers(), o.dropout(), train, false, false);
      return {out, {h, {}}};
    }
  }
  return {};
}

CellState RecurrentImpl::cell_step(int64_t layer, const torch::Tensor& x, const CellState& prev) {
  const auto& w = layer_parameters(layer);
  return step_from_projection(options_.cell(), torch::nn::functional::linear(x, w[0], w[2]), prev, w[1], w[3]);
}

std::pair<torch::Tensor, RecurrentState> RecurrentImpl::forward_cells(const torch::Tensor& input,
                                                                      const RecurrentState& s) {
  const auto& o = options_;
  const bool lstm = o.cell() == CellKind::LSTM;
  const int64_t steps = input.size(0);
  torch::Tensor x = input;
  std::vector<torch::Tensor> final_h, final_c;
  for (int64_t l = 0; l < o.num_layers(); ++l) {
    const auto& w = weights_[static_cast<size_t>(l)];
    // The input projection of every step at once (one large matmul); only W_hh h runs step by step.
    // unbind, not gi[t]: one backward node for all steps instead of a [T, N, G*H] zero-filled
    // gradient per step (which makes the backward pass quadratic in T).
    const std::vector<torch::Tensor> gi = torch::nn::functional::linear(x, w[0], w[2]).unbind(0);
    CellState state{s.h[l], lstm ? s.c[l] : torch::Tensor()};
    std::vector<torch::Tensor> outputs;
    outputs.reserve(static_cast<size_t>(steps));
    for (int64_t t = 0; t < steps; ++t) {
      state = step_from_projection(o.cell(), gi[static_cast<size_t>(t)], state, w[1], w[3]);
      outputs.push_back(state.h);
    }
    final_h.push_back(state.h);
    if (lstm) final_c.push_back(state.c);
    x = torch::stack(outputs);
    if (l + 1 < o.num_layers() && o.dropout() > 0.0) x = torch::dropout(x, o.dropout(), is_training());
  }
  RecurrentState out{torch::stack(final_h), lstm ? torch::stack(final_c) : torch::Tensor()};
  return {x, out};
}

}  // namespace beyond::models
