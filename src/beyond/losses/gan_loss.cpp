#include "beyond/losses/gan_loss.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::losses {

namespace {
void check_logits(const char* fn, const char* name, const torch::Tensor& t) {
  BEYOND_CHECK(t.defined() && t.is_floating_point() && t.numel() > 0, fn, " expects ", name,
               " to be a non-empty floating point tensor, got ",
               t.defined() ? beyond::str(t.scalar_type(), " of shape ", t.sizes()) : std::string("an undefined tensor"));
}
}  // namespace

GanLossKind parse_gan_loss(const std::string& name) {
  if (name == "non_saturating") return GanLossKind::NonSaturating;
  if (name == "hinge") return GanLossKind::Hinge;
  throw UsageError(str("unknown GAN loss '", name, "'; valid: non_saturating, hinge"));
}

std::string to_string(GanLossKind kind) {
  return kind == GanLossKind::Hinge ? "hinge" : "non_saturating";
}

torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits,
                                 GanLossKind kind) {
  check_logits("discriminator_loss", "real_logits", real_logits);
  check_logits("discriminator_loss", "fake_logits", fake_logits);
  if (kind == GanLossKind::Hinge) {
    return torch::relu(1 - real_logits).mean() + torch::relu(1 + fake_logits).mean();
  }
  return torch::softplus(-real_logits).mean() + torch::softplus(fake_logits).mean();
}

torch::Tensor generator_loss(const torch::Tensor& fake_logits, GanLossKind kind) {
  check_logits("generator_loss", "fake_logits", fake_logits);
  if (kind == GanLossKind::Hinge) return -fake_logits.mean();
  return torch::softplus(-fake_logits).mean();
}

}  // namespace beyond::losses
