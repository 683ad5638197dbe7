#pragma once
/// One LSTM layer over a whole sequence as a single autograd node, with the backward pass written
/// out by hand. The same equations as PyTorch's LSTM (gates i, f, g, o; c_t = f c_{t-1} + i g,
/// h_t = o tanh(c_t)); what differs is the bookkeeping:
/// - the input projection of all steps and, in the backward pass, the weight gradients of all steps
///   are one matrix product each (W_ih x over [T N, I]; dW_hh = sum_t dgates_t^T h_{t-1} as one
///   [4H, T N] x [T N, H] product instead of T small ones added into a buffer);
/// - each step runs a handful of in-place ATen kernels without autograd records, instead of the
///   ~15 recorded operations per step (and ~25 backward nodes) of `at::lstm` on the CPU.
/// The results equal `at::lstm`'s up to the order of floating-point sums (tested to 1e-10 in float64).
///
///   auto [y, h_T, c_T] = lstm_sequence(x /*[T, N, I]*/, h0, c0 /*[N, H]*/, w_ih, w_hh, b_ih, b_hh);
#include <torch/types.h>

#include <tuple>

namespace beyond::models {

/// x [T, N, I], h0 and c0 [N, H], PyTorch's LSTM parameters of one layer (w_ih [4H, I], w_hh [4H, H],
/// b_ih and b_hh [4H]). Returns the hidden states of every step [T, N, H] and the final h and c [N, H].
/// Differentiable in every argument.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_sequence(const torch::Tensor& x, const torch::Tensor& h0,
                                                                      const torch::Tensor& c0,
                                                                      const torch::Tensor& w_ih,
                                                                      const torch::Tensor& w_hh,
                                                                      const torch::Tensor& b_ih,
                                                                      const torch::Tensor& b_hh);

/// The same layer fed by an embedding: ids [T, N] int64 index the rows of `embedding` [V, I], and the
/// result equals lstm_sequence(embedding[ids], ...). Each symbol's input projection is computed once
/// ([V, I] x [I, 4H]) and gathered per step, so the products over all T N positions in the forward
/// pass (x W_ih^T) and the backward pass (dx, dW_ih) shrink to V rows: the cheaper way whenever V < T N,
/// as for a character model (73 symbols, 6,400 positions per window).
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> lstm_sequence_embedded(
    const torch::Tensor& ids, const torch::Tensor& embedding, const torch::Tensor& h0, const torch::Tensor& c0,
    const torch::Tensor& w_ih, const torch::Tensor& w_hh, const torch::Tensor& b_ih, const torch::Tensor& b_hh);

}  // namespace beyond::models
