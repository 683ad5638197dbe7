#pragma once
/// Backpropagation through time, full and truncated (Williams & Peng 1990, "TBPTT(k1, k2)"): every
/// k1 time steps, the losses of those k1 newest steps are backpropagated k2 steps into the past
/// (k2 >= k1), and the parameters are updated. Full BPTT is one window over the whole sequence.
///
/// A window ending at step e runs the network from the state at max(0, e - k2) (detached: the
/// gradient stops there) over [e - k2, e); the loss covers [e - k1, e). The state at the next
/// window's start, e + k1 - k2, is taken from inside this window and detached, so that the hidden
/// state is carried forward but the gradient is cut at the window boundary. A last, shorter window
/// (T not a multiple of k1) reaches k2 - k1 steps before its first loss step. With k2 = k1 the windows
/// do not overlap (the usual "chunked" TBPTT of language models); with k2 > k1 the overlap is run
/// again with the updated weights.
///
///   beyond::models::BpttOptions bptt;  bptt.k1(25).k2(50);
///   RecurrentState carried;            // zeros; kept across batches of one long stream
///   double loss = beyond::models::train_bptt(x, carried, bptt, forward, loss_fn, update);
#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "beyond/models/sequence/recurrent.h"

namespace beyond::models {

/// Options of `train_bptt`.
struct BpttOptions {
  /// Steps between updates; 0 = full BPTT (one window over the whole sequence).
  TORCH_ARG(int64_t, k1) = 0;
  /// Steps the gradient flows back; 0 = k1. Must be >= k1.
  TORCH_ARG(int64_t, k2) = 0;
};

/// One truncated-BPTT window over time steps [begin, end): the loss covers [loss_begin, end), and the
/// state at `carry` (begin <= carry <= end) starts the next window.
struct BpttWindow {
  int64_t begin = 0, carry = 0, loss_begin = 0, end = 0;
};

/// The windows of TBPTT(k1, k2) over a sequence of `length` steps, in order. Throws beyond::Error for
/// k1 < 0, k2 < k1 (after resolving 0s) or length < 1.
std::vector<BpttWindow> bptt_windows(int64_t length, const BpttOptions& options);

/// Runs the network over time-major `input` [T, N, ...] from `state`, returning per-step outputs
/// [steps, N, ...] and the final state.
using SequenceForward =
    std::function<std::pair<torch::Tensor, RecurrentState>(const torch::Tensor& input, const RecurrentState& state)>;
/// Loss of the outputs of steps [begin, end) (outputs [end - begin, N, ...]); an undefined tensor
/// means "no target in this window" (no update).
using WindowLoss = std::function<torch::Tensor(const torch::Tensor& outputs, int64_t begin, int64_t end)>;
/// Backpropagates a window's loss and updates the parameters (e.g. StepContext::optimize).
using WindowUpdate = std::function<void(const torch::Tensor& loss)>;

/// Trains on one batch of sequences with TBPTT. `state` is the carried state: read as the start
/// (undefined = zeros) and replaced by the detached state at the end of the sequence, so that a
/// caller streaming one long text keeps passing it in. Returns the mean of the window losses.
double train_bptt(const torch::Tensor& input, RecurrentState& state, const BpttOptions& options,
                  const SequenceForward& forward, const WindowLoss& loss, const WindowUpdate& update);

}  // namespace beyond::models
