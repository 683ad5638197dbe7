// Training throughput (characters/s) of the character language model in beyond: the step of
// tasks/char_lm_task.cpp with the Trainer's optimize (loss check, zero grad, backward, clip by global
// norm 5, our fused Adam), truncated BPTT with the state carried and detached between windows.
// bench/char_lm_throughput.py runs this (fused path and our own cells) and the same model in
// PyTorch Python side by side.
//
//   char_lm_throughput --fused 1 [--kernel 1] --batch 64 --seq 100 --hidden 256 --steps 20 --threads 2
// prints one JSON line: {"impl": "beyond fused", ..., "chars_per_s": ..., "step_s": ...}
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "beyond/core/allocator.h"
#include "beyond/core/threads.h"
#include "beyond/engine/fused_adam.h"
#include "beyond/models/sequence/char_lm.h"

namespace {

struct Args {
  bool fused = true;
  bool kernel = false;  // fused LSTM through models/sequence/lstm_sequence.h instead of at::lstm
  std::string cell = "lstm";
  int64_t batch = 64, seq = 100, hidden = 256, embedding = 64, layers = 1, vocab = 73;  // KJV has 73 symbols
  int64_t steps = 20, warmup = 3;
  int threads = 1;
  bool keep_memory = true;  // as the CLI does (core/allocator.h); --keep-memory 0 for glibc's defaults
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--fused") a.fused = v != "0";
    else if (k == "--kernel") a.kernel = v != "0";
    else if (k == "--cell") a.cell = v;
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--seq") a.seq = std::stoll(v);
    else if (k == "--hidden") a.hidden = std::stoll(v);
    else if (k == "--embedding") a.embedding = std::stoll(v);
    else if (k == "--layers") a.layers = std::stoll(v);
    else if (k == "--vocab") a.vocab = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--keep-memory") a.keep_memory = v != "0";
    else throw std::runtime_error("unknown argument " + k);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace beyond;
  const Args a = parse(argc, argv);
  configure_threads(a.threads);  // as the CLI does
  if (a.keep_memory) keep_freed_memory_in_process();
  torch::manual_seed(0);
  models::CharLM lm(models::CharLMOptions(a.vocab, a.hidden)
                        .embedding_dim(a.embedding)
                        .cell(models::parse_cell_kind(a.cell))
                        .num_layers(a.layers)
                        .fused(a.fused)
                        .sequence_kernel(a.kernel));
  FusedAdam opt(lm->parameters(), torch::optim::AdamOptions(2e-3));  // as engine/optimizer.cpp
  // The content does not change the arithmetic: random ids, one window per step.
  const auto ids = torch::randint(0, a.vocab, {a.seq + 1, a.batch}, torch::kInt64);
  const auto input = ids.narrow(0, 0, a.seq).contiguous(), target = ids.narrow(0, 1, a.seq).contiguous();
  models::RecurrentState state;
  auto step = [&] {
    auto [logits, next] = lm->forward(input, state);
    auto loss = torch::nn::functional::cross_entropy(logits.view({-1, a.vocab}), target.view(-1));
    if (!std::isfinite(loss.item<double>())) throw std::runtime_error("non-finite loss");
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(lm->parameters(), 5.0);
    opt.step();
    state = models::detach(next);
  };
  for (int64_t i = 0; i < a.warmup; ++i) step();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < a.steps; ++i) step();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"impl\": \"beyond %s\", \"cell\": \"%s\", \"batch\": %lld, \"seq\": %lld, \"hidden\": %lld, "
              "\"threads\": %d, \"step_s\": %.4f, \"chars_per_s\": %.1f}\n",
              a.fused ? (a.kernel ? "fused kernel" : "fused") : "cells", a.cell.c_str(), static_cast<long long>(a.batch),
              static_cast<long long>(a.seq), static_cast<long long>(a.hidden), a.threads, secs / a.steps,
              static_cast<double>(a.steps * a.batch * a.seq) / secs);
  return 0;
}
