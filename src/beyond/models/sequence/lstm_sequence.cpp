#include "beyond/models/sequence/lstm_sequence.h"

#include <torch/torch.h>

namespace beyond::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// The four gate blocks [N, H] of a [N, 4H] row: i, f, g, o (PyTorch's order).
struct Gates {
  torch::Tensor i, f, g, o;
  Gates(const torch::Tensor& row, int64_t hidden)
      : i(row.narrow(1, 0, hidden)),
        f(row.narrow(1, hidden, hidden)),
        g(row.narrow(1, 2 * hidden, hidden)),
        o(row.narrow(1, 3 * hidden, hidden)) {}
};

/// What the forward pass keeps for the backward pass, and its results.
struct Recurrence {
  torch::Tensor gates;  ///< [T, N, 4H] activated gates
  torch::Tensor cells;  ///< [T, N, H] c_t
  torch::Tensor y;      ///< [T, N, H] h_t
};

/// Runs the recurrence over `gates` ([T, N, 4H] input pre-activations with both biases; owned by the
/// caller and overwritten with the activated gates).
Recurrence run_forward(torch::Tensor gates, const torch::Tensor& h0, const torch::Tensor& c0,
                       const torch::Tensor& w_hh) {
  const int64_t steps = gates.size(0), batch = gates.size(1), hidden = w_hh.size(1);
  Recurrence r{std::move(gates), torch::empty({steps, batch, hidden}, h0.options()),
               torch::empty({steps, batch, hidden}, h0.options())};
  const torch::Tensor w_hh_t = w_hh.t();
  torch::Tensor h = h0, c = c0;
  for (int64_t t = 0; t < steps; ++t) {
    torch::Tensor row = r.gates[t];
    row.addmm_(h, w_hh_t);
    row.narrow(1, 0, 2 * hidden).sigmoid_();  // i, f
    Gates a(row, hidden);
    a.g.tanh_();
    a.o.sigmoid_();
    torch::Tensor c_t = r.cells[t], h_t = r.y[t];
    torch::mul_out(c_t, a.f, c);
    c_t.addcmul_(a.i, a.g);
    torch::tanh_out(h_t, c_t);
    h_t.mul_(a.o);
    h = h_t;
    c = c_t;
  }
  return r;
}

/// Gradients of the recurrence: d_gates [T, N, 4H] (of the pre-activations), and dh, dc become the
/// gradients of h0 and c0 (they come in as those of the final h and c).
torch::Tensor run_backward(const Recurrence& r, const torch::Tensor& c0, const torch::Tensor& w_hh,
                           const torch::Tensor& dy, torch::Tensor& dh, torch::Tensor& dc) {
  const int64_t steps = r.gates.size(0), hidden = w_hh.size(1);
  torch::Tensor d_gates = torch::empty_like(r.gates);
  torch::Tensor tanh_c = torch::empty_like(dh), tmp = torch::empty_like(dh);
  for (int64_t t = steps - 1; t >= 0; --t) {
    dh.add_(dy[t]);
    Gates a(r.gates[t], hidden);
    torch::Tensor d_row = d_gates[t];
    Gates d(d_row, hidden);
    const torch::Tensor c_prev = t > 0 ? r.cells[t - 1] : c0;
    torch::tanh_out(tanh_c, r.cells[t]);
    // h = o tanh(c): into o's pre-activation, and into c (added to the c_t gradient from step t + 1).
    torch::mul_out(d.o, dh, tanh_c);
    torch::sigmoid_backward_out(d.o, d.o, a.o);
    torch::mul_out(tmp, dh, a.o);
    torch::tanh_backward_out(tmp, tmp, tanh_c);
    dc.add_(tmp);
    // c = f c_prev + i g.
    torch::mul_out(d.i, dc, a.g);
    torch::sigmoid_backward_out(d.i, d.i, a.i);
    torch::mul_out(d.f, dc, c_prev);
    torch::sigmoid_backward_out(d.f, d.f, a.f);
    torch::mul_out(d.g, dc, a.i);
    torch::tanh_backward_out(d.g, d.g, a.g);
    dc.mul_(a.f);                     // dL/dc_{t-1}
    torch::mm_out(dh, d_row, w_hh);   // dL/dh_{t-1} through the recurrence
  }
  return d_gates;
}

/// dW_hh = sum_t dgates_t^T h_{t-1} as one [4H, T N] x [T N, H] product.
torch::Tensor w_hh_gradient(const torch::Tensor& d2, const torch::Tensor& h0, const torch::Tensor& y) {
  const int64_t steps = y.size(0), batch = y.size(1), hidden = y.size(2);
  const torch::Tensor h_prev = torch::cat({h0.unsqueeze(0), y.narrow(0, 0, steps - 1)});
  return d2.t().mm(h_prev.view({steps * batch, hidden}));
}

void save_recurrence(AutogradContext* ctx, const Recurrence& r) {
  ctx->saved_data["gates"] = r.gates;
  ctx->saved_data["cells"] = r.cells;
}

Recurrence saved_recurrence(AutogradContext* ctx, const torch::Tensor& y) {
  return {ctx->saved_data["gates"].toTensor(), ctx->saved_data["cells"].toTensor(), y};
}

class LstmSequence : public torch::autograd::Function<LstmSequence> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& h0,
                               const torch::Tensor& c0, const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                               const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
    const int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
    // Pre-activations of all steps in one product.
    Recurrence r = run_forward(
        torch::addmm(b_ih + b_hh, x.reshape({steps * batch, x.size(2)}), w_ih.t()).view({steps, batch, 4 * hidden}),
        h0, c0, w_hh);
    ctx->save_for_backward({x, h0, c0, w_ih, w_hh, r.y});  // y as an output: no reference cycle
    save_recurrence(ctx, r);
    return {r.y, r.y[steps - 1].clone(), r.cells[steps - 1].clone()};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &h0 = saved[1], &c0 = saved[2], &w_ih = saved[3], &w_hh = saved[4];
    const Recurrence r = saved_recurrence(ctx, saved[5]);
    torch::Tensor dh = grads[1].clone(), dc = grads[2].clone();
    const torch::Tensor d_gates = run_backward(r, c0, w_hh, grads[0], dh, dc);
    const int64_t rows = x.size(0) * x.size(1);
    const torch::Tensor d2 = d_gates.view({rows, d_gates.size(2)});
    variable_list out(7);
    if (ctx->needs_input_grad(0)) out[0] = d2.mm(w_ih).view(x.sizes());
    if (ctx->needs_input_grad(1)) out[1] = dh;
    if (ctx->needs_input_grad(2)) out[2] = dc;
    if (ctx->needs_input_grad(3)) out[3] = d2.t().mm(x.reshape({rows, x.size(2)}));
    if (ctx->needs_input_grad(4)) out[4] = w_hh_gradient(d2, h0, r.y);
    if (ctx->needs_input_grad(5) || ctx->needs_input_grad(6)) {
      const torch::Tensor db = d2.sum(0);
      if (ctx->needs_input_grad(5)) out[5] = db;
      if (ctx->needs_input_grad(6)) out[6] = ctx->needs_input_grad(5) ? db.clone() : db;
    }
    return out;
  }
};

/// The first layer over embedded symbols: the input pre-activations are rows of `table` ([V, 4H]),
/// gathered by id; the backward adds each step's gate gradient into its symbol's row.
class LstmSequenceEmbedded : public torch::autograd::Function<LstmSequenceEmbedded> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& ids, const torch::Tensor& table,
                               const torch::Tensor& h0, const torch::Tensor& c0, const torch::Tensor& w_hh) {
    const int64_t steps = ids.size(0), batch = ids.size(1);
    Recurrence r = run_forward(table.index_select(0, ids.reshape({-1})).view({steps, batch, table.size(1)}), h0, c0,
                               w_hh);
    ctx->save_for_backward({ids, h0, c0, w_hh, r.y});
    ctx->saved_data["symbols"] = table.size(0);
    save_recurrence(ctx, r);
    return {r.y, r.y[steps - 1].clone(), r.cells[steps - 1].clone()};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &ids = saved[0], &h0 = saved[1], &c0 = saved[2], &w_hh = saved[3];
    const Recurrence r = saved_recurrence(ctx, saved[4]);
    torch::Tensor dh = grads[1].clone(), dc = grads[2].clone();
    const torch::Tensor d_gates = run_backward(r, c0, w_hh, grads[0], dh, dc);
    const torch::Tensor d2 = d_gates.view({ids.numel(), d_gates.size(2)});
    variable_list out(5);
    if (ctx->needs_input_grad(1)) {
      out[1] = torch::zeros({ctx->saved_data["symbols"].toInt(), d2.size(1)}, d2.options())
                   .index_add_(0, ids.reshape({-1}), d2);
    }
    if (ctx->needs_input_grad(2)) out[2] = dh;
    if (ctx->needs_input_grad(3)) out[3] = dc;
    if (ctx->needs_input_grad(4)) out[4] = w_hh_gradient(d2, h0, r.y);
    return out;
  }
};

}  // namespace

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_sequence(const torch::Tensor& x, const torch::Tensor& h0,
                                                                      const torch::Tensor& c0,
                                                                      const torch::Tensor& w_ih,
                                                                      const torch::Tensor& w_hh,
                                                                      const torch::Tensor& b_ih,
                                                                      const torch::Tensor& b_hh) {
  auto out = LstmSequence::apply(x, h0.contiguous(), c0.contiguous(), w_ih, w_hh, b_ih, b_hh);
  return {out[0], out[1], out[2]};
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_sequence_embedded(
    const torch::Tensor& ids, const torch::Tensor& embedding, const torch::Tensor& h0, const torch::Tensor& c0,
    const torch::Tensor& w_ih, const torch::Tensor& w_hh, const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
  // Every symbol's input pre-activation at once (autograd carries the table's gradient on to the
  // embedding, w_ih and the biases: [V, 4H] products instead of [T N, 4H] ones).
  const torch::Tensor table = torch::addmm(b_ih + b_hh, embedding, w_ih.t());
  auto out = LstmSequenceEmbedded::apply(ids, table, h0.contiguous(), c0.contiguous(), w_hh);
  return {out[0], out[1], out[2]};
}

}  // namespace beyond::models
