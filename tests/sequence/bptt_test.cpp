#include "beyond/models/sequence/bptt.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "support/helpers.h"

namespace {

using beyond::models::BpttOptions;
using beyond::models::BpttWindow;
using beyond::models::CellKind;
using beyond::models::Recurrent;
using beyond::models::RecurrentOptions;
using beyond::models::RecurrentState;

std::vector<std::vector<int64_t>> as_rows(const std::vector<BpttWindow>& ws) {
  std::vector<std::vector<int64_t>> rows;
  for (const auto& w : ws) rows.push_back({w.begin, w.carry, w.loss_begin, w.end});
  return rows;
}

TEST(Bptt, WindowsOfTruncatedBptt) {
  // k2 = k1: chunks that do not overlap; the state is carried at each chunk's end.
  EXPECT_EQ(as_rows(beyond::models::bptt_windows(7, BpttOptions().k1(3))),
            (std::vector<std::vector<int64_t>>{{0, 3, 0, 3}, {3, 6, 3, 6}, {6, 7, 6, 7}}));
  // k2 > k1: each window reaches k2 steps back; losses cover each step once.
  EXPECT_EQ(as_rows(beyond::models::bptt_windows(10, BpttOptions().k1(3).k2(5))),
            (std::vector<std::vector<int64_t>>{{0, 1, 0, 3}, {1, 4, 3, 6}, {4, 7, 6, 9}, {7, 10, 9, 10}}));
  // k1 = 0: full BPTT, one window.
  EXPECT_EQ(as_rows(beyond::models::bptt_windows(5, BpttOptions())), (std::vector<std::vector<int64_t>>{{0, 5, 0, 5}}));
  EXPECT_NE(beyond::test::error_of([] { beyond::models::bptt_windows(5, BpttOptions().k1(3).k2(2)); })
                .find("must be at least k1"),
            std::string::npos);
}

// The gradient of each window reaches exactly k2 steps back (the input of earlier steps gets none),
// the loss covers every step once, and the carried state equals that of one untruncated run
// (the update here does not change the weights).
TEST(Bptt, GradientReachesK2StepsAndStateIsCarried) {
  for (auto [k1, k2] : std::vector<std::pair<int64_t, int64_t>>{{3, 5}, {4, 4}, {0, 0}}) {
    SCOPED_TRACE("k1=" + std::to_string(k1) + " k2=" + std::to_string(k2));
    torch::manual_seed(1);
    Recurrent lstm(RecurrentOptions(CellKind::LSTM, 2, 4));
    const int64_t steps = 11;
    auto x = torch::randn({steps, 3, 2}).requires_grad_(true);
    RecurrentState carried;
    std::vector<int64_t> loss_steps(steps, 0);
    int64_t window = 0;
    const auto windows = beyond::models::bptt_windows(steps, BpttOptions().k1(k1).k2(k2));
    auto forward = [&](const torch::Tensor& in, const RecurrentState& s) { return lstm->forward(in, s); };
    auto loss = [&](const torch::Tensor& out, int64_t begin, int64_t end) {
      EXPECT_EQ(out.size(0), end - begin);
      for (int64_t t = begin; t < end; ++t) ++loss_steps[static_cast<size_t>(t)];
      return out.sum();
    };
    auto update = [&](const torch::Tensor& l) {
      auto g = torch::autograd::grad({l}, {x})[0];
      const auto& w = windows[static_cast<size_t>(window++)];
      for (int64_t t = 0; t < steps; ++t) {
        const bool inside = t >= w.begin && t < w.end;
        EXPECT_EQ(g[t].abs().sum().item<double>() > 0, inside) << "t=" << t << " window " << window;
      }
    };
    beyond::models::train_bptt(x, carried, BpttOptions().k1(k1).k2(k2), forward, loss, update);
    EXPECT_EQ(window, static_cast<int64_t>(windows.size()));
    EXPECT_EQ(loss_steps, std::vector<int64_t>(steps, 1));
    auto [out, whole] = lstm->forward(x);
    EXPECT_FALSE(carried.h.requires_grad());
    EXPECT_TRUE(torch::allclose(carried.h, whole.h, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(carried.c, whole.c, 1e-5, 1e-6));
  }
}

}  // namespace
