#include "beyond/models/sequence/char_lm.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

CharLMImpl::CharLMImpl(CharLMOptions o) : options(o) {
  BEYOND_CHECK(o.vocab_size() > 0 && o.hidden_size() > 0 && o.embedding_dim() > 0,
               "CharLM: vocab_size, hidden_size and embedding_dim must be positive, got ", o.vocab_size(), ", ",
               o.hidden_size(), ", ", o.embedding_dim());
  BEYOND_CHECK(o.output_dropout() >= 0 && o.output_dropout() < 1, "CharLM: output_dropout must be in [0, 1), got ",
               o.output_dropout());
  embedding = register_module("embedding", torch::nn::Embedding(o.vocab_size(), o.embedding_dim()));
  rnn = register_module("rnn", Recurrent(RecurrentOptions(o.cell(), o.embedding_dim(), o.hidden_size())
                                             .num_layers(o.num_layers())
                                             .dropout(o.dropout())
                                             .forget_bias(o.forget_bias())
                                             .fused(o.fused())
                                             .sequence_kernel(o.sequence_kernel())));
  decoder = register_module("decoder", torch::nn::Linear(o.hidden_size(), o.vocab_size()));
}

std::pair<torch::Tensor, RecurrentState> CharLMImpl::forward(const torch::Tensor& ids, RecurrentState state) {
  BEYOND_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kInt64,
               "CharLM: expected ids as a [T, N] int64 tensor, got ", ids.sizes(), " ", ids.scalar_type());
  auto [hidden, next] = rnn->forward_embedded(ids, embedding->weight, std::move(state));
  if (options.output_dropout() > 0) hidden = torch::dropout(hidden, options.output_dropout(), is_training());
  return {decoder->forward(hidden), next};
}

torch::Tensor CharLMImpl::sample(const torch::Tensor& prime, int64_t n, double temperature, at::Generator generator) {
  BEYOND_CHECK(prime.dim() == 1 && prime.numel() > 0, "CharLM::sample needs at least one priming id, got ",
               prime.sizes());
  BEYOND_CHECK(temperature > 0, "temperature must be positive, got ", temperature,
               " (lower is more conservative; 1 samples the model's distribution)");
  BEYOND_CHECK(n >= 0, "CharLM::sample: n must be >= 0, got ", n);
  torch::NoGradGuard no_grad;
  auto out = torch::empty({n}, torch::kInt64);
  auto [logits, state] = forward(prime.view({-1, 1}));
  torch::Tensor last = logits[-1][0];
  for (int64_t i = 0; i < n; ++i) {
    const auto probs = torch::softmax(last.to(torch::kFloat64) / temperature, -1);
    const auto next = at::multinomial(probs, 1, false, generator);
    out.data_ptr<int64_t>()[i] = next.item<int64_t>();
    std::tie(logits, state) = forward(next.view({1, 1}), state);
    last = logits[0][0];
  }
  return out;
}

}  // namespace beyond::models
