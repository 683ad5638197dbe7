#include "beyond/models/generative/noise.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

torch::Tensor corrupt(const torch::Tensor& x, const NoiseOptions& options) {
  BEYOND_CHECK(x.defined() && x.is_floating_point(), "corrupt expects a floating point tensor x, got ",
               x.defined() ? c10::toString(x.scalar_type()) : "an undefined tensor");
  BEYOND_CHECK(options.gaussian_std() >= 0.0, "NoiseOptions::gaussian_std must be >= 0, got ",
               options.gaussian_std());
  BEYOND_CHECK(options.mask_prob() >= 0.0 && options.mask_prob() <= 1.0,
               "NoiseOptions::mask_prob must be in [0,1], got ", options.mask_prob());
  torch::NoGradGuard no_grad;
  torch::Tensor y = x.detach().clone();
  if (options.gaussian_std() > 0.0) {
    y.add_(torch::randn_like(y), options.gaussian_std()).clamp_(0.0, 1.0);
  }
  if (options.mask_prob() > 0.0) {
    y.masked_fill_(torch::rand_like(y) < options.mask_prob(), 0.0);
  }
  return y;
}

}  // namespace beyond::models
