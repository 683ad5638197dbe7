#include "beyond/models/detection/generalized_rcnn.h"

#include "beyond/core/error.h"

namespace beyond::models {
namespace {

// torchvision rejects these too: a zero-area box has no regression target (log of 0 width).
void check_targets(const std::vector<Instances>& targets) {
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    BEYOND_CHECK(t.has(Instances::kBoxes) && t.has(Instances::kLabels), "detector: target ", i,
                 " needs \"boxes\" and \"labels\" fields");
    const auto b = t.get(Instances::kBoxes);
    if (b.size(0) == 0) continue;
    const auto bad = torch::nonzero((b.select(1, 2) <= b.select(1, 0)) | (b.select(1, 3) <= b.select(1, 1)));
    if (bad.size(0) == 0) continue;
    const int64_t k = bad[0][0].item<int64_t>();
    const auto v = b[k].to(torch::kDouble);
    BEYOND_CHECK(false, "detector: target ", i, " box ", k, " is degenerate ([", v[0].item<double>(), ", ",
                 v[1].item<double>(), ", ", v[2].item<double>(), ", ", v[3].item<double>(), "] as x1, y1, x2, y2); boxes must have positive width and height -- drop such annotations when loading");
  }
}

}  // namespace

GeneralizedRCNNImpl::GeneralizedRCNNImpl(std::shared_ptr<Backbone> backbone, RegionProposalNetwork rpn,
                                         RoIHeads roi_heads, DetectionTransformOptions transform)
    : backbone_(std::move(backbone)), rpn_(std::move(rpn)), roi_heads_(std::move(roi_heads)), transform_(transform) {
  BEYOND_CHECK(backbone_ != nullptr, "GeneralizedRCNN needs a backbone");
  BEYOND_CHECK(!roi_heads_.is_empty(), "GeneralizedRCNN needs RoI heads");
  register_module("backbone", backbone_);
  if (!rpn_.is_empty()) register_module("rpn", rpn_);
  register_module("roi_heads", roi_heads_);
}

DetectionOutput GeneralizedRCNNImpl::forward(const std::vector<torch::Tensor>& images,
                                             const std::vector<Instances>& targets,
                                             const std::vector<torch::Tensor>& proposals,
                                             std::optional<at::Generator> generator) {
  const bool training = is_training();
  BEYOND_CHECK(!training || targets.size() == images.size(), "GeneralizedRCNN: training mode needs one target per "
               "image (", images.size(), " images, ", targets.size(), " targets); call eval() for inference");
  BEYOND_CHECK(has_rpn() || proposals.size() == images.size(), "GeneralizedRCNN without an RPN (Fast R-CNN) needs "
               "external proposals for each of the ", images.size(), " images, got ", proposals.size());
  if (training) check_targets(targets);
  auto batch = transform_.forward(images, training ? targets : std::vector<Instances>{},
                                  has_rpn() ? std::vector<torch::Tensor>{} : proposals, training, generator);
  const FeatureMaps features = backbone_->forward(batch.images.tensor());

  DetectionOutput out;
  if (has_rpn()) {
    std::optional<std::vector<torch::Tensor>> gt;
    if (training) {
      gt.emplace();
      for (const auto& t : batch.targets) gt->push_back(t.get(Instances::kBoxes));
    }
    auto rpn_out = rpn_->forward(batch.images, features.values(), gt);
    out.proposals = std::move(rpn_out.boxes);
    for (auto& [name, loss] : rpn_out.losses) out.losses[name] = loss;
  } else {
    out.proposals = std::move(batch.proposals);
  }
  auto heads = roi_heads_->forward(features, out.proposals, batch.images.image_sizes(), batch.targets);
  for (auto& [name, loss] : heads.losses) out.losses[name] = loss;
  if (!training)
    out.detections = transform_.postprocess(std::move(heads.detections), batch.images.image_sizes(),
                                            batch.original_sizes);
  return out;
}

torch::Tensor GeneralizedRCNNImpl::total_loss(const DetectionOutput& out) {
  BEYOND_CHECK(!out.losses.empty(), "GeneralizedRCNN::total_loss: no losses (was the model in training mode?)");
  torch::Tensor sum;
  for (const auto& [name, loss] : out.losses) sum = sum.defined() ? sum + loss : loss;
  return sum;
}

void GeneralizedRCNNImpl::optimize_for_inference(bool channels_last) {
  eval();
  backbone_->fold_norm();
  backbone_->set_channels_last(channels_last);
}

}  // namespace beyond::models
