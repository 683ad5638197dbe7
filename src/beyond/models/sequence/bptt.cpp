#include "beyond/models/sequence/bptt.h"

#include <torch/torch.h>

#include <algorithm>

#include "beyond/core/error.h"

namespace beyond::models {

std::vector<BpttWindow> bptt_windows(int64_t length, const BpttOptions& options) {
  BEYOND_CHECK(length >= 1, "BPTT needs a sequence of at least one step, got length ", length);
  BEYOND_CHECK(options.k1() >= 0 && options.k2() >= 0, "BPTT: k1 and k2 must be >= 0 (0 = default), got k1=",
               options.k1(), " k2=", options.k2());
  const int64_t k1 = options.k1() == 0 ? length : options.k1();
  const int64_t k2 = options.k2() == 0 ? k1 : options.k2();
  BEYOND_CHECK(k2 >= k1, "BPTT: k2 (steps backpropagated, ", k2, ") must be at least k1 (steps between updates, ",
               k1, "); set train.bptt_k2 >= train.bptt_k1 or 0");
  // Losses of [previous end, e); the gradient reaches k2 - k1 steps further back than the first of
  // them (k2 steps from a full window's end). The next window starts at e + k1 - k2.
  std::vector<BpttWindow> windows;
  for (int64_t prev = 0; prev < length;) {
    BpttWindow w;
    w.loss_begin = prev;
    w.end = std::min(prev + k1, length);
    w.begin = std::max<int64_t>(0, prev + k1 - k2);
    w.carry = w.end == length ? length : std::max<int64_t>(0, w.end + k1 - k2);
    windows.push_back(w);
    prev = w.end;
  }
  return windows;
}

double train_bptt(const torch::Tensor& input, RecurrentState& state, const BpttOptions& options,
                  const SequenceForward& forward, const WindowLoss& loss, const WindowUpdate& update) {
  const auto windows = bptt_windows(input.size(0), options);
  RecurrentState start = detach(state);  // the state at windows[i].begin
  double total = 0;
  int64_t counted = 0;
  for (const auto& w : windows) {
    // [begin, carry) then [carry, end): the state at `carry` starts the next window.
    torch::Tensor first_out, second_out;
    RecurrentState at_carry = start, at_end;
    if (w.carry > w.begin) std::tie(first_out, at_carry) = forward(input.slice(0, w.begin, w.carry), start);
    at_end = at_carry;
    if (w.end > w.carry) std::tie(second_out, at_end) = forward(input.slice(0, w.carry, w.end), at_carry);
    torch::Tensor outputs = !first_out.defined() ? second_out
                            : !second_out.defined() ? first_out
                                                    : torch::cat({first_out, second_out});
    torch::Tensor l = loss(outputs.slice(0, w.loss_begin - w.begin), w.loss_begin, w.end);
    if (l.defined()) {
      update(l);
      total += l.item<double>();
      ++counted;
    }
    start = detach(at_carry);
    state = detach(at_end);
  }
  return counted > 0 ? total / static_cast<double>(counted) : 0.0;
}

}  // namespace beyond::models
