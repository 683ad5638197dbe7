#include "beyond/models/sequence/gradient_diagnostics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "support/helpers.h"

namespace {

using beyond::models::CellKind;
using beyond::models::Recurrent;
using beyond::models::RecurrentOptions;

torch::Tensor last_step_loss(const torch::Tensor& out) { return out[-1].sum(); }

// For a tanh RNN the step Jacobian is diag(1 - h_t^2) W_hh; the traced one must be that matrix's
// norms, and dL/dh_{t-1} = J_t^T dL/dh_t bounds ||dL/dh_{t-1}|| by ||J_t||_2 ||dL/dh_t||.
TEST(GradientDiagnostics, RnnJacobianIsDiagTimesRecurrentMatrix) {
  torch::manual_seed(2);
  Recurrent rnn(RecurrentOptions(CellKind::RNN, 3, 8));
  auto x = torch::randn({12, 1, 3});
  auto trace = beyond::models::trace_gradients(*rnn, x, last_step_loss);
  ASSERT_EQ(trace.grad_norm.size(), 12u);
  ASSERT_EQ(trace.jacobian_spectral.size(), 12u);
  EXPECT_TRUE(std::isnan(trace.jacobian_spectral[0]));
  auto [out, state] = rnn->forward(x);
  auto w_hh = rnn->layer_parameters(0)[1].detach();
  for (int64_t t = 1; t < 12; ++t) {
    auto j = torch::diag(1 - out[t][0].detach().pow(2)).mm(w_hh);
    EXPECT_NEAR(trace.jacobian_spectral[static_cast<size_t>(t)],
                at::linalg_svdvals(j.to(torch::kFloat64)).max().item<double>(), 1e-5);
    EXPECT_NEAR(trace.jacobian_frobenius[static_cast<size_t>(t)], j.norm().item<double>(), 1e-5);
    EXPECT_LE(trace.grad_norm[static_cast<size_t>(t - 1)],
              trace.jacobian_spectral[static_cast<size_t>(t)] * trace.grad_norm[static_cast<size_t>(t)] * (1 + 1e-5));
  }
  // At the last step the gradient is the loss's own: d(sum h_T)/dh_T = ones, norm sqrt(H).
  EXPECT_NEAR(trace.grad_norm.back(), std::sqrt(8.0), 1e-5);
}

// Spectral radius below 1 makes the gradient vanish with distance; well above 1 (in the linear
// regime of tanh, tiny inputs) makes it explode.
TEST(GradientDiagnostics, SpectralRadiusDecidesVanishingOrExploding) {
  torch::manual_seed(3);
  const int64_t steps = 30;
  Recurrent rnn(RecurrentOptions(CellKind::RNN, 2, 16));
  auto x = torch::randn({steps, 4, 2});
  beyond::models::set_recurrent_spectral_radius(*rnn, 0.5);
  EXPECT_NEAR(beyond::models::spectral_radius(rnn->layer_parameters(0)[1]), 0.5, 1e-4);
  auto vanish = beyond::models::trace_gradients(*rnn, x, last_step_loss, false);
  EXPECT_TRUE(vanish.jacobian_spectral.empty());
  EXPECT_LT(vanish.grad_norm.front(), 1e-6 * vanish.grad_norm.back());

  beyond::models::set_recurrent_spectral_radius(*rnn, 1.5);
  {
    torch::NoGradGuard no_grad;
    for (int i : {2, 3}) rnn->layer_parameters(0)[static_cast<size_t>(i)].zero_();  // no bias: stays linear
  }
  auto explode = beyond::models::trace_gradients(*rnn, x * 1e-6, last_step_loss);
  EXPECT_GT(explode.grad_norm.front(), 100 * explode.grad_norm.back());
  EXPECT_GT(explode.jacobian_spectral[5], 1.0);
}

TEST(GradientDiagnostics, LstmTracksCellStateAndFullStateJacobian) {
  torch::manual_seed(4);
  Recurrent lstm(RecurrentOptions(CellKind::LSTM, 3, 6).forget_bias(1.0));
  auto x = torch::randn({10, 2, 3});
  auto trace = beyond::models::trace_gradients(*lstm, x, last_step_loss);
  ASSERT_EQ(trace.cell_grad_norm.size(), 10u);
  for (double g : trace.cell_grad_norm) EXPECT_GT(g, 0.0);
  // Frobenius >= spectral, both of the 12x12 (h, c) Jacobian.
  for (size_t t = 1; t < 10; ++t) EXPECT_GE(trace.jacobian_frobenius[t] + 1e-9, trace.jacobian_spectral[t]);
  Recurrent two(RecurrentOptions(CellKind::LSTM, 3, 6).num_layers(2));
  EXPECT_NE(beyond::test::error_of([&] { beyond::models::trace_gradients(*two, x, last_step_loss); })
                .find("one-layer"),
            std::string::npos);
}

}  // namespace
