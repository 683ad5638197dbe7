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

class LstmSequence : public torch::autograd::Function<LstmSequence> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& h0,
                               const torch::Tensor& c0, const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                               const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
    const int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
    // Pre-activations of all steps; each step adds W_hh h_{t-1} and then holds the activated gates.
    torch::Tensor gates =
        torch::addmm(b_ih + b_hh, x.reshape({steps * batch, x.size(2)}), w_ih.t()).view({steps, batch, 4 * hidden});
    torch::Tensor y = torch::empty({steps, batch, hidden}, x.options());
    torch::Tensor cells = torch::empty({steps, batch, hidden}, x.options());
    const torch::Tensor w_hh_t = w_hh.t();
    torch::Tensor h = h0, c = c0;
    for (int64_t t = 0; t < steps; ++t) {
      torch::Tensor row = gates[t];
      row.addmm_(h, w_hh_t);
      row.narrow(1, 0, 2 * hidden).sigmoid_();  // i, f
      Gates a(row, hidden);
      a.g.tanh_();
      a.o.sigmoid_();
      torch::Tensor c_t = cells[t], h_t = y[t];
      torch::mul_out(c_t, a.f, c);
      c_t.addcmul_(a.i, a.g);
      torch::tanh_out(h_t, c_t);
      h_t.mul_(a.o);
      h = h_t;
      c = c_t;
    }
    ctx->save_for_backward({x, h0, c0, w_ih, w_hh, y});  // y as an output: no reference cycle
    ctx->saved_data["gates"] = gates;
    ctx->saved_data["cells"] = cells;
    return {y, h.clone(), c.clone()};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &h0 = saved[1], &c0 = saved[2], &w_ih = saved[3], &w_hh = saved[4];
    const torch::Tensor& y = saved[5];
    const torch::Tensor gates = ctx->saved_data["gates"].toTensor(), cells = ctx->saved_data["cells"].toTensor();
    const int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
    const torch::Tensor& dy = grads[0];
    torch::Tensor dh = grads[1].clone(), dc = grads[2].clone();
    torch::Tensor d_gates = torch::empty_like(gates);
    torch::Tensor tanh_c = torch::empty_like(dh), tmp = torch::empty_like(dh);
    for (int64_t t = steps - 1; t >= 0; --t) {
      dh.add_(dy[t]);
      Gates a(gates[t], hidden);
      torch::Tensor d_row = d_gates[t];
      Gates d(d_row, hidden);
      const torch::Tensor c_prev = t > 0 ? cells[t - 1] : c0;
      torch::tanh_out(tanh_c, cells[t]);
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
    // The weight gradients of all steps at once.
    const torch::Tensor d2 = d_gates.view({steps * batch, 4 * hidden});
    variable_list out(7);
    if (ctx->needs_input_grad(0)) out[0] = d2.mm(w_ih).view(x.sizes());
    if (ctx->needs_input_grad(1)) out[1] = dh;
    if (ctx->needs_input_grad(2)) out[2] = dc;
    if (ctx->needs_input_grad(3)) out[3] = d2.t().mm(x.reshape({steps * batch, x.size(2)}));
    if (ctx->needs_input_grad(4)) {
      const torch::Tensor h_prev = torch::cat({h0.unsqueeze(0), y.narrow(0, 0, steps - 1)});
      out[4] = d2.t().mm(h_prev.view({steps * batch, hidden}));
    }
    if (ctx->needs_input_grad(5) || ctx->needs_input_grad(6)) {
      const torch::Tensor db = d2.sum(0);
      if (ctx->needs_input_grad(5)) out[5] = db;
      if (ctx->needs_input_grad(6)) out[6] = ctx->needs_input_grad(5) ? db.clone() : db;
    }
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

}  // namespace beyond::models
