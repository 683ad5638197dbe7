// The C++ half of recurrent_parity_test.py: loads PyTorch's nn.RNN / nn.LSTM / nn.GRU weights and the
// inputs the script wrote (safetensors), runs beyond's Recurrent (own cells or fused path) and writes
// the outputs, the final state and the gradients of sum(out * g_out) + sum(h * g_h) [+ sum(c * g_c)].
//
//   recurrent_parity_driver rnn|lstm|gru LAYERS own|fused IN.safetensors OUT.safetensors
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "beyond/core/safetensors.h"
#include "beyond/models/sequence/recurrent.h"

int main(int argc, char** argv) try {
  if (argc != 6) {
    std::cerr << "usage: recurrent_parity_driver rnn|lstm|gru LAYERS own|fused IN OUT\n";
    return 2;
  }
  using namespace beyond::models;
  auto in = beyond::load_safetensors(argv[4]);
  const CellKind cell = parse_cell_kind(argv[1]);
  const bool lstm = cell == CellKind::LSTM;
  torch::Tensor x = in.at("input").clone().requires_grad_(true);
  Recurrent m(RecurrentOptions(cell, x.size(2), in.at("h0").size(2))
                  .num_layers(std::stoll(argv[2]))
                  .fused(std::string(argv[3]) == "fused"));
  beyond::load_state_dict(*m, in, "rnn.");
  RecurrentState s{in.at("h0").clone().requires_grad_(true),
                   lstm ? in.at("c0").clone().requires_grad_(true) : torch::Tensor()};
  auto [out, fin] = m->forward(x, s);
  auto loss = (out * in.at("g_out")).sum() + (fin.h * in.at("g_h")).sum();
  if (lstm) loss = loss + (fin.c * in.at("g_c")).sum();
  loss.backward();
  beyond::TensorMap result{{"out", out.detach()}, {"h", fin.h.detach()}, {"grad.input", x.grad()},
                           {"grad.h0", s.h.grad()}};
  if (lstm) {
    result["c"] = fin.c.detach();
    result["grad.c0"] = s.c.grad();
  }
  for (const auto& p : m->named_parameters()) result["grad." + p.key()] = p.value().grad();
  beyond::save_safetensors(argv[5], result);
  return 0;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
