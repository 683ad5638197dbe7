#include "beyond/models/detection/box_pooler.h"

#include "beyond/core/error.h"
#include "beyond/ops/multiscale_roi_align.h"
#include "beyond/ops/roi_ops.h"

namespace beyond::models {
namespace {

std::string joined(const FeatureMaps& features) {
  std::string names;
  for (const auto& item : features) names += (names.empty() ? "" : ", ") + item.key();
  return names.empty() ? "none" : names;
}

}  // namespace

BoxPooler::BoxPooler(BoxPoolerOptions options) : options_(std::move(options)) {
  BEYOND_CHECK(!options_.featmap_names().empty(), "BoxPoolerOptions::featmap_names must name at least one map");
  BEYOND_CHECK(options_.type() == BoxPoolerType::kMultiScaleRoIAlign || options_.featmap_names().size() == 1,
               "BoxPoolerOptions: RoI pooling and single-level RoI Align take one feature map, got ",
               options_.featmap_names().size(), " featmap_names (use kMultiScaleRoIAlign for a pyramid)");
  BEYOND_CHECK(options_.output_size() > 0, "BoxPoolerOptions::output_size must be positive, got ",
               options_.output_size());
  BEYOND_CHECK(options_.spatial_scale() > 0, "BoxPoolerOptions::spatial_scale must be positive, got ",
               options_.spatial_scale());
}

torch::Tensor BoxPooler::forward(const FeatureMaps& features, const std::vector<torch::Tensor>& boxes,
                                 const std::vector<std::array<int64_t, 2>>& image_sizes) const {
  BEYOND_CHECK(boxes.size() == image_sizes.size(), "BoxPooler: ", boxes.size(), " box tensors for ",
               image_sizes.size(), " image sizes; give one [K, 4] tensor and one (height, width) per image");
  std::vector<torch::Tensor> maps;
  for (const auto& name : options_.featmap_names()) {
    const torch::Tensor* map = features.find(name);
    BEYOND_CHECK(map != nullptr, "BoxPooler: feature map '", name, "' is missing (the features are: ",
                 joined(features), "); set BoxPoolerOptions::featmap_names to the backbone's output names");
    BEYOND_CHECK(map->dim() == 4 && map->size(0) == static_cast<int64_t>(boxes.size()),
                 "BoxPooler: feature map '", name, "' must be [N, C, H, W] with N = ", boxes.size(),
                 " images, got ", map->sizes());
    maps.push_back(*map);
  }
  const int64_t out = options_.output_size();
  switch (options_.type()) {
    case BoxPoolerType::kMultiScaleRoIAlign: {
      std::vector<std::vector<int64_t>> sizes;
      for (const auto& s : image_sizes) sizes.push_back({s[0], s[1]});
      const ops::MultiScaleRoIAlign pooler(
          ops::MultiScaleRoIAlignOptions().output_size({out, out}).sampling_ratio(options_.sampling_ratio()));
      return pooler.forward(maps, boxes, sizes);
    }
    case BoxPoolerType::kRoIAlign:
      return ops::roi_align(maps[0], boxes, options_.spatial_scale(), out, out, options_.sampling_ratio(),
                            options_.aligned());
    case BoxPoolerType::kRoIPool:
      return std::get<0>(ops::roi_pool(maps[0], boxes, options_.spatial_scale(), out, out));
  }
  BEYOND_CHECK(false, "BoxPooler: unknown pooler type ", static_cast<int>(options_.type()));
  return {};
}

}  // namespace beyond::models
