#include "beyond/eval/bits_per_character.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"

namespace beyond::eval {

void BitsPerCharacter::process(const torch::Tensor& logits, const torch::Tensor& targets) {
  BEYOND_CHECK(logits.dim() == targets.dim() + 1 && logits.sizes().slice(0, targets.dim()) == targets.sizes(),
               "bits per character: logits must be [..., V] over targets [...], got logits ", logits.sizes(),
               " and targets ", targets.sizes());
  const auto log_probs = torch::log_softmax(logits.to(torch::kFloat64), -1);
  const auto picked = log_probs.gather(-1, targets.to(torch::kInt64).unsqueeze(-1));
  bits_ += -picked.sum().item<double>() / std::log(2.0);
  count_ += targets.numel();
}

double BitsPerCharacter::evaluate() const {
  BEYOND_CHECK(count_ > 0, "bits per character of nothing: no symbols were processed");
  return bits_ / static_cast<double>(count_);
}

}  // namespace beyond::eval
