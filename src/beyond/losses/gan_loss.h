#pragma once
/// GAN objectives on discriminator logits (one per image), each a mean over the batch.
///
/// NonSaturating (Goodfellow et al., 2014, the "-log D" generator trick):
///   D: softplus(-real) + softplus(fake)   G: softplus(-fake)
/// Hinge (Lim & Ye 2017; Miyato et al., 2018):
///   D: relu(1 - real) + relu(1 + fake)    G: -fake
///
///   auto kind = beyond::losses::parse_gan_loss("hinge");
///   auto d_loss = beyond::losses::discriminator_loss(d(real), d(fake.detach()), kind);
///   auto g_loss = beyond::losses::generator_loss(d(fake), kind);
#include <torch/types.h>

#include <string>

namespace beyond::losses {

enum class GanLossKind { NonSaturating, Hinge };

/// "non_saturating" -> NonSaturating, "hinge" -> Hinge; anything else throws UsageError naming
/// the valid choices.
GanLossKind parse_gan_loss(const std::string& name);

/// The name `parse_gan_loss` accepts for `kind`.
std::string to_string(GanLossKind kind);

/// Discriminator loss from logits on real and on generated images (any shapes; means are taken
/// separately over each, so the batch sizes may differ).
torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits,
                                 GanLossKind kind);

/// Generator loss from the discriminator's logits on generated images.
torch::Tensor generator_loss(const torch::Tensor& fake_logits, GanLossKind kind);

}  // namespace beyond::losses
