#include "beyond/models/backbones/backbone.h"

#include "beyond/core/error.h"
#include "beyond/models/backbones/norm.h"

namespace beyond::models {

FeatureMaps Backbone::forward(const torch::Tensor& images) {
  BEYOND_CHECK(images.dim() == 4 && images.size(1) == 3, name(), ": expected an [N, 3, H, W] image batch, got ",
               images.sizes());
  return features(channels_last_ ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images);
}

void Backbone::set_channels_last(bool on) {
  channels_last_ = on;
  torch::NoGradGuard no_grad;
  const auto layout = on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  for (auto& child : modules()) {
    if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child)) {
      conv->weight.set_data(conv->weight.contiguous(layout));
    }
  }
}

}  // namespace beyond::models
