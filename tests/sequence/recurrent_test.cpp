#include "beyond/models/sequence/recurrent.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "beyond/core/error.h"
#include "support/helpers.h"

namespace {

using beyond::models::CellKind;
using beyond::models::Recurrent;
using beyond::models::RecurrentOptions;
using beyond::models::RecurrentState;
using beyond::test::error_of;

const std::vector<CellKind> kCells{CellKind::RNN, CellKind::LSTM, CellKind::GRU};

/// A copy of `from`'s parameters into a module built with `options` (same shapes, other path).
Recurrent copy_of(const Recurrent& from, RecurrentOptions options) {
  Recurrent to(options);
  torch::NoGradGuard no_grad;
  auto source = from->named_parameters();
  for (auto& p : to->named_parameters()) p.value().copy_(source[p.key()]);
  to->to(source.begin()->value().scalar_type());
  return to;
}

struct RunResult {
  torch::Tensor out, h, c;
  std::map<std::string, torch::Tensor> grads;  // parameters, "input", "h0", "c0"
};

/// Forward on fixed input and initial state, then backward of a random linear function of the
/// outputs and the final state, collecting every gradient.
RunResult run(Recurrent& m, const torch::Tensor& input, const RecurrentState& init, uint64_t seed) {
  auto x = input.clone().requires_grad_(true);
  RecurrentState s{init.h.clone().requires_grad_(true),
                   init.c.defined() ? init.c.clone().requires_grad_(true) : torch::Tensor()};
  auto [out, fin] = m->forward(x, s);
  torch::manual_seed(seed);
  auto loss = (out * torch::randn_like(out)).sum() + (fin.h * torch::randn_like(fin.h)).sum();
  if (fin.c.defined()) loss = loss + (fin.c * torch::randn_like(fin.c)).sum();
  for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
  loss.backward();
  RunResult r{out.detach(), fin.h.detach(), fin.c.defined() ? fin.c.detach() : torch::Tensor(), {}};
  for (auto& p : m->named_parameters()) r.grads[p.key()] = p.value().grad().clone();
  r.grads["input"] = x.grad();
  r.grads["h0"] = s.h.grad();
  if (s.c.defined()) r.grads["c0"] = s.c.grad();
  return r;
}

TEST(Recurrent, ParameterNamesAndShapesArePytorchs) {
  for (CellKind cell : kCells) {
    Recurrent m(RecurrentOptions(cell, 5, 7).num_layers(2));
    const int64_t g = beyond::models::gate_count(cell) * 7;
    std::map<std::string, std::vector<int64_t>> expected = {
        {"weight_ih_l0", {g, 5}}, {"weight_hh_l0", {g, 7}}, {"bias_ih_l0", {g}}, {"bias_hh_l0", {g}},
        {"weight_ih_l1", {g, 7}}, {"weight_hh_l1", {g, 7}}, {"bias_ih_l1", {g}}, {"bias_hh_l1", {g}}};
    auto params = m->named_parameters();
    EXPECT_EQ(params.size(), expected.size());
    for (const auto& [name, shape] : expected) {
      ASSERT_TRUE(params.contains(name)) << name;
      EXPECT_EQ(params[name].sizes(), torch::IntArrayRef(shape)) << name;
    }
  }
}

// Our cells and the fused kernels compute the same function: in float64 they agree to 1e-10
// (outputs, final state and every gradient: parameters, input, initial h and c).
TEST(Recurrent, OwnCellsMatchFusedOutputsAndGradients) {
  for (CellKind cell : kCells) {
    for (int64_t layers : {1, 2}) {
      SCOPED_TRACE(beyond::models::cell_kind_name(cell) + " layers=" + std::to_string(layers));
      torch::manual_seed(3);
      auto opts = RecurrentOptions(cell, 4, 6).num_layers(layers).forget_bias(1.0);
      Recurrent own(opts);
      own->to(torch::kFloat64);
      Recurrent fused = copy_of(own, RecurrentOptions(opts).fused(true));
      auto input = torch::randn({9, 3, 4}, torch::kFloat64);
      RecurrentState init{torch::randn({layers, 3, 6}, torch::kFloat64),
                          cell == CellKind::LSTM ? torch::randn({layers, 3, 6}, torch::kFloat64) : torch::Tensor()};
      RunResult a = run(own, input, init, 11), b = run(fused, input, init, 11);
      EXPECT_TRUE(torch::allclose(a.out, b.out, 1e-10, 1e-10));
      EXPECT_TRUE(torch::allclose(a.h, b.h, 1e-10, 1e-10));
      if (cell == CellKind::LSTM) {
        EXPECT_TRUE(torch::allclose(a.c, b.c, 1e-10, 1e-10));
      }
      ASSERT_EQ(a.grads.size(), b.grads.size());
      for (const auto& [name, g] : a.grads) {
        ASSERT_TRUE(g.defined()) << name;
        EXPECT_GT(g.abs().max().item<double>(), 0.0) << name;
        EXPECT_TRUE(torch::allclose(g, b.grads[name], 1e-9, 1e-10))
            << name << " max diff " << (g - b.grads[name]).abs().max().item<double>();
      }
    }
  }
}

// The LSTM's whole-sequence kernel (lstm_sequence.h, hand-written backward) and at::lstm compute the
// same function: float64 to 1e-10 for outputs, final state and every gradient; float32 to 1e-5.
TEST(Recurrent, LstmSequenceKernelMatchesAtenLstm) {
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (int64_t layers : {1, 2}) {
      const bool f64 = dtype == torch::kFloat64;
      SCOPED_TRACE(std::string(f64 ? "float64" : "float32") + " layers=" + std::to_string(layers));
      torch::manual_seed(6);
      auto opts = RecurrentOptions(CellKind::LSTM, 5, 7).num_layers(layers).forget_bias(1.0).fused(true);
      Recurrent aten(opts);
      aten->to(dtype);
      Recurrent kernel = copy_of(aten, RecurrentOptions(opts).sequence_kernel(true));
      auto input = torch::randn({12, 3, 5}, dtype);
      RecurrentState init{torch::randn({layers, 3, 7}, dtype), torch::randn({layers, 3, 7}, dtype)};
      RunResult a = run(aten, input, init, 13), b = run(kernel, input, init, 13);
      const double tol = f64 ? 1e-10 : 1e-5;
      EXPECT_TRUE(torch::allclose(a.out, b.out, tol, tol));
      EXPECT_TRUE(torch::allclose(a.h, b.h, tol, tol));
      EXPECT_TRUE(torch::allclose(a.c, b.c, tol, tol));
      ASSERT_EQ(a.grads.size(), b.grads.size());
      for (const auto& [name, g] : a.grads) {
        ASSERT_TRUE(b.grads[name].defined()) << name;
        EXPECT_GT(g.abs().max().item<double>(), 0.0) << name;
        EXPECT_TRUE(torch::allclose(g, b.grads[name], f64 ? 1e-9 : 1e-4, tol))
            << name << " max diff " << (g - b.grads[name]).abs().max().item<double>();
      }
    }
  }
  // One step, no gradient wanted (sampling): the same values, and nothing is recorded.
  Recurrent aten(RecurrentOptions(CellKind::LSTM, 5, 7).fused(true));
  Recurrent kernel = copy_of(aten, RecurrentOptions(CellKind::LSTM, 5, 7).fused(true).sequence_kernel(true));
  torch::NoGradGuard no_grad;
  auto x = torch::randn({1, 2, 5});
  auto [ya, sa] = aten->forward(x);
  auto [yb, sb] = kernel->forward(x);
  EXPECT_TRUE(torch::allclose(ya, yb, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(sa.c, sb.c, 1e-6, 1e-6));
  EXPECT_FALSE(yb.requires_grad());
}

// forward_embedded folds the embedding into the kernel's first layer (lstm_sequence_embedded): the
// same outputs and gradients as at::lstm on the gathered rows, in float64 to 1e-10, including the
// embedding table's gradient (rows of unused symbols stay zero) and with a second layer on top.
TEST(Recurrent, EmbeddedLstmKernelMatchesAtenOnGatheredRows) {
  for (int64_t layers : {1, 2}) {
    SCOPED_TRACE("layers=" + std::to_string(layers));
    torch::manual_seed(8);
    auto opts = RecurrentOptions(CellKind::LSTM, 5, 7).num_layers(layers).forget_bias(1.0).fused(true);
    Recurrent aten(opts);
    aten->to(torch::kFloat64);
    Recurrent kernel = copy_of(aten, RecurrentOptions(opts).sequence_kernel(true));
    // 6 symbols, of which 5 is never used; 12 x 3 positions > 6, so the kernel folds.
    const auto ids = torch::randint(0, 5, {12, 3}, torch::kInt64);
    const auto table = torch::randn({6, 5}, torch::kFloat64);
    RecurrentState init{torch::randn({layers, 3, 7}, torch::kFloat64), torch::randn({layers, 3, 7}, torch::kFloat64)};
    auto emb_a = table.clone().requires_grad_(), emb_b = table.clone().requires_grad_();
    auto h_a = init.h.clone().requires_grad_(), h_b = init.h.clone().requires_grad_();
    auto [ya, sa] = aten->forward(torch::embedding(emb_a, ids), {h_a, init.c});
    auto [yb, sb] = kernel->forward_embedded(ids, emb_b, {h_b, init.c});
    EXPECT_TRUE(torch::allclose(ya, yb, 1e-10, 1e-10));
    EXPECT_TRUE(torch::allclose(sa.c, sb.c, 1e-10, 1e-10));
    const auto w = torch::randn(ya.sizes(), torch::kFloat64);
    ((ya * w).sum() + sa.h.sum() + 0.5 * sa.c.sum()).backward();
    ((yb * w).sum() + sb.h.sum() + 0.5 * sb.c.sum()).backward();
    EXPECT_GT(emb_a.grad().abs().max().item<double>(), 0.0);
    EXPECT_TRUE(torch::allclose(emb_a.grad(), emb_b.grad(), 1e-9, 1e-10));
    EXPECT_EQ(emb_b.grad()[5].abs().max().item<double>(), 0.0);
    EXPECT_TRUE(torch::allclose(h_a.grad(), h_b.grad(), 1e-9, 1e-10));
    auto pa = aten->named_parameters(), pb = kernel->named_parameters();
    for (const auto& p : pa) {
      EXPECT_TRUE(torch::allclose(p.value().grad(), pb[p.key()].grad(), 1e-9, 1e-10)) << p.key();
    }
  }
  // Few positions (sampling one symbol at a time): no folding, the same values.
  Recurrent kernel(RecurrentOptions(CellKind::LSTM, 5, 7).fused(true).sequence_kernel(true));
  const auto table = torch::randn({6, 5});
  const auto one = torch::tensor({{2}}, torch::kInt64);
  EXPECT_TRUE(torch::allclose(kernel->forward_embedded(one, table).first,
                              kernel->forward(torch::embedding(table, one)).first));
  EXPECT_THROW(kernel->forward_embedded(torch::zeros({4, 2}), table), beyond::Error);
}

// The same in float32, the precision training uses: agreement to 1e-5.
TEST(Recurrent, OwnCellsMatchFusedInFloat32) {
  for (CellKind cell : kCells) {
    SCOPED_TRACE(beyond::models::cell_kind_name(cell));
    torch::manual_seed(4);
    auto opts = RecurrentOptions(cell, 8, 16).num_layers(2);
    Recurrent own(opts);
    Recurrent fused = copy_of(own, RecurrentOptions(opts).fused(true));
    auto input = torch::randn({30, 5, 8});
    RecurrentState init{torch::zeros({2, 5, 16}), cell == CellKind::LSTM ? torch::zeros({2, 5, 16}) : torch::Tensor()};
    RunResult a = run(own, input, init, 5), b = run(fused, input, init, 5);
    EXPECT_TRUE(torch::allclose(a.out, b.out, 1e-5, 1e-5));
    for (const auto& [name, g] : a.grads) EXPECT_TRUE(torch::allclose(g, b.grads[name], 1e-4, 1e-5)) << name;
  }
}

// Running a sequence in two chunks, carrying the state, gives the same outputs as one run.
TEST(Recurrent, StateCarriesAcrossChunks) {
  for (CellKind cell : kCells) {
    for (bool fused : {false, true}) {
      SCOPED_TRACE(beyond::models::cell_kind_name(cell) + (fused ? " fused" : " own"));
      torch::manual_seed(5);
      Recurrent m(RecurrentOptions(cell, 3, 5).num_layers(2).fused(fused));
      auto input = torch::randn({10, 2, 3});
      auto [whole, whole_state] = m->forward(input);
      auto [first, mid] = m->forward(input.slice(0, 0, 6));
      auto [second, last] = m->forward(input.slice(0, 6), beyond::models::detach(mid));
      EXPECT_FALSE(beyond::models::detach(mid).h.requires_grad());
      EXPECT_TRUE(torch::allclose(torch::cat({first, second}), whole, 1e-6, 1e-6));
      EXPECT_TRUE(torch::allclose(last.h, whole_state.h, 1e-6, 1e-6));
      if (cell == CellKind::LSTM) {
        EXPECT_TRUE(torch::allclose(last.c, whole_state.c, 1e-6, 1e-6));
      }
      // Without the carried state the second chunk starts from zeros and differs.
      auto [fresh, unused] = m->forward(input.slice(0, 6));
      EXPECT_FALSE(torch::allclose(fresh, second, 1e-4, 1e-4));
    }
  }
}

// Dropout between layers acts in training only; in eval mode the module equals its dropout-free twin.
TEST(Recurrent, DropoutOnlyInTraining) {
  for (bool fused : {false, true}) {
    SCOPED_TRACE(fused ? "fused" : "own");
    torch::manual_seed(6);
    auto opts = RecurrentOptions(CellKind::LSTM, 3, 8).num_layers(2).dropout(0.5).fused(fused);
    Recurrent m(opts);
    Recurrent plain = copy_of(m, RecurrentOptions(opts).dropout(0.0));
    auto input = torch::randn({7, 4, 3});
    m->train();
    auto a = m->forward(input).first, b = m->forward(input).first;
    EXPECT_FALSE(torch::allclose(a, b));
    m->eval();
    plain->eval();
    auto e1 = m->forward(input).first, e2 = m->forward(input).first;
    EXPECT_TRUE(torch::equal(e1, e2));
    EXPECT_TRUE(torch::allclose(e1, plain->forward(input).first, 1e-6, 1e-6));
  }
}

// clone() copies the weights (the cells read them through the registered parameters), and the
// clone converts to float64 on its own.
TEST(Recurrent, CloneCarriesTheWeights) {
  torch::manual_seed(8);
  Recurrent m(RecurrentOptions(CellKind::LSTM, 3, 5).num_layers(2));
  auto copy = std::dynamic_pointer_cast<beyond::models::RecurrentImpl>(m->clone());
  copy->to(torch::kFloat64);
  auto x = torch::randn({6, 2, 3});
  auto a = m->forward(x).first;
  auto b = copy->forward(x.to(torch::kFloat64)).first;
  EXPECT_EQ(a.scalar_type(), torch::kFloat32);
  EXPECT_EQ(b.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(torch::allclose(a.to(torch::kFloat64), b, 1e-5, 1e-6));
}

TEST(Recurrent, ForgetBiasShiftsOnlyTheForgetSliceOfBiasIh) {
  const int64_t h = 64;
  torch::manual_seed(7);
  Recurrent m(RecurrentOptions(CellKind::LSTM, 3, h).num_layers(2).forget_bias(1.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(h));
  for (int64_t l = 0; l < 2; ++l) {
    auto p = m->layer_parameters(l);
    auto b_ih = p[2];
    auto forget = b_ih.slice(0, h, 2 * h), others = torch::cat({b_ih.slice(0, 0, h), b_ih.slice(0, 2 * h)});
    EXPECT_GE(forget.min().item<double>(), 1.0 - bound - 1e-6);
    EXPECT_LE(forget.max().item<double>(), 1.0 + bound + 1e-6);
    EXPECT_LE(others.abs().max().item<double>(), bound + 1e-6);
    EXPECT_LE(p[3].abs().max().item<double>(), bound + 1e-6);  // bias_hh untouched
  }
  // A GRU ignores it (it has no forget gate).
  Recurrent gru(RecurrentOptions(CellKind::GRU, 3, h).forget_bias(1.0));
  EXPECT_LE(gru->layer_parameters(0)[2].abs().max().item<double>(), bound + 1e-6);
}

TEST(Recurrent, BadInputGivesClearErrors) {
  Recurrent lstm(RecurrentOptions(CellKind::LSTM, 3, 5).num_layers(2));
  EXPECT_NE(error_of([&] { lstm->forward(torch::randn({4, 3})); }).find("[T, N, input_size] (time-major), got [4, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { lstm->forward(torch::randn({4, 2, 6})); }).find("input_size = 3"), std::string::npos);
  EXPECT_NE(error_of([&] { lstm->forward(torch::zeros({4, 2, 3}, torch::kLong)); }).find("floating point"),
            std::string::npos);
  const std::string bad_h = error_of([&] { lstm->forward(torch::randn({4, 2, 3}), {torch::zeros({1, 2, 5}), {}}); });
  EXPECT_NE(bad_h.find("state.h must be [num_layers, N, hidden_size] = [2, 2, 5], got [1, 2, 5]"), std::string::npos)
      << bad_h;
  EXPECT_NE(error_of([&] {
              lstm->forward(torch::randn({4, 2, 3}), {torch::zeros({2, 2, 5}), torch::zeros({2, 3, 5})});
            }).find("state.c must be"),
            std::string::npos);
  Recurrent gru(RecurrentOptions(CellKind::GRU, 3, 5));
  EXPECT_NE(error_of([&] { gru->forward(torch::randn({4, 2, 3}), {{}, torch::zeros({1, 2, 5})}); })
                .find("state.c is only used by the LSTM"),
            std::string::npos);
  EXPECT_THROW(beyond::models::parse_cell_kind("lstn"), beyond::UsageError);
  EXPECT_NE(error_of([] { beyond::models::parse_cell_kind("lstn"); }).find("choose rnn, lstm or gru"),
            std::string::npos);
  EXPECT_EQ(beyond::models::parse_cell_kind("gru"), CellKind::GRU);
  EXPECT_NE(error_of([] { Recurrent(RecurrentOptions(CellKind::RNN, 0, 5)); }).find("input_size"), std::string::npos);
}

}  // namespace
