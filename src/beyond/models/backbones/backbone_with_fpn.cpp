#include "beyond/models/backbones/backbone_with_fpn.h"

namespace beyond::models {

BackboneWithFPN::BackboneWithFPN(ResNetOptions body, int64_t out_channels) {
  body_ = register_module("body", ResNet(body));
  fpn_ = register_module("fpn", FeaturePyramidNetwork(FpnOptions(body.out_channels(), out_channels)));
}

FeatureMaps BackboneWithFPN::features(const torch::Tensor& images) {
  std::vector<torch::Tensor> c = body_->forward(images);
  FeatureMaps levels;
  for (size_t i = 0; i < c.size(); ++i) levels.insert(std::to_string(i), std::move(c[i]));
  return fpn_->forward(levels);
}

std::shared_ptr<BackboneWithFPN> resnet_fpn_backbone(const ResNetOptions& body, int64_t out_channels) {
  return std::make_shared<BackboneWithFPN>(body, out_channels);
}

ResNetOptions SmallBackboneOptions::body() const {
  return ResNetOptions(ResNetOptions::Block::Basic, blocks_)
      .widths(widths_)
      .stem_channels(widths_[0])
      .norm(norm_)
      .trainable_layers(5);
}

std::shared_ptr<BackboneWithFPN> small_fpn_backbone(const SmallBackboneOptions& options) {
  return std::make_shared<BackboneWithFPN>(options.body(), options.fpn_channels());
}

}  // namespace beyond::models
