#pragma once
/// A character language model: embedding -> Recurrent (RNN / LSTM / GRU; our own cells or the fused
/// LibTorch path) -> linear layer over the vocabulary. Inputs and outputs are time-major ([T, N]),
/// as the recurrent module's; the state is returned so a caller can carry it across windows
/// (truncated BPTT) or across sampling steps.
///
///   CharLM lm(CharLMOptions(/*vocab_size=*/75, /*hidden_size=*/256).cell(CellKind::LSTM));
///   auto [logits, state] = lm->forward(ids /*[T, N] int64*/);       // logits [T, N, V]
///   auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
///   torch::Tensor out = lm->sample(prime_ids, 500, /*temperature=*/0.8, gen);   // [500] ids
#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "beyond/models/sequence/recurrent.h"

namespace beyond::models {

struct CharLMOptions {
  CharLMOptions(int64_t vocab_size, int64_t hidden_size) : vocab_size_(vocab_size), hidden_size_(hidden_size) {}
  TORCH_ARG(int64_t, vocab_size);
  TORCH_ARG(int64_t, hidden_size);
  TORCH_ARG(int64_t, embedding_dim) = 64;
  TORCH_ARG(CellKind, cell) = CellKind::LSTM;
  TORCH_ARG(int64_t, num_layers) = 1;
  /// Dropout between stacked recurrent layers (the recurrent module's).
  TORCH_ARG(double, dropout) = 0.0;
  /// Dropout on the last recurrent layer's output, before the decoder: the regulariser a
  /// single-layer model has (a small corpus read for tens of epochs overfits without it).
  TORCH_ARG(double, output_dropout) = 0.0;
  /// Added to the LSTM forget gate's bias at initialisation.
  TORCH_ARG(double, forget_bias) = 0.0;
  /// LibTorch's fused torch::nn::LSTM / GRU / RNN (true) or our cells written from the equations.
  TORCH_ARG(bool, fused) = true;
  /// LSTM with fused: beyond's whole-sequence kernel instead of at::lstm (RecurrentOptions::sequence_kernel).
  TORCH_ARG(bool, sequence_kernel) = false;
};

class CharLMImpl : public torch::nn::Module {
 public:
  explicit CharLMImpl(CharLMOptions options);

  /// ids [T, N] int64 -> logits [T, N, V] and the state after the last step.
  std::pair<torch::Tensor, RecurrentState> forward(const torch::Tensor& ids, RecurrentState state = {});

  /// Feeds `prime` ([P] int64 ids, P >= 1), then draws `n` symbols one at a time from
  /// softmax(logits / temperature) with `generator`: the same generator seed gives the same text.
  /// temperature > 0; lower is more conservative. Returns the n drawn ids ([n] int64).
  torch::Tensor sample(const torch::Tensor& prime, int64_t n, double temperature, at::Generator generator);

  CharLMOptions options;
  torch::nn::Embedding embedding{nullptr};
  Recurrent rnn{nullptr};
  torch::nn::Linear decoder{nullptr};
};
TORCH_MODULE(CharLM);

}  // namespace beyond::models
