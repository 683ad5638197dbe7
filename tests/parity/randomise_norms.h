#pragma once
/// Seeded random norm parameters and statistics for the parity drivers (weight U(0.3, 0.7), bias and
/// running_mean N(0, 0.1), running_var U(0.5, 1.5): the ranges python/export_torchvision.py uses), so
/// that parity and norm folding are tested on something other than the identity. Draws from torch's
/// global generator.
#include <torch/torch.h>

#include "beyond/models/backbones/norm.h"

namespace beyond::parity {

inline void randomise_norms(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules()) {
    auto frozen = std::dynamic_pointer_cast<models::FrozenBatchNorm2dImpl>(child);
    auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(child);
    if (!frozen && !bn) continue;
    torch::Tensor w = frozen ? frozen->weight : bn->weight, b = frozen ? frozen->bias : bn->bias;
    torch::Tensor m = frozen ? frozen->running_mean : bn->running_mean;
    torch::Tensor v = frozen ? frozen->running_var : bn->running_var;
    w.uniform_(0.3, 0.7);
    b.normal_(0, 0.1);
    m.normal_(0, 0.1);
    v.uniform_(0.5, 1.5);
  }
}

}  // namespace beyond::parity
