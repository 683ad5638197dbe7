// Multi-level RoI Align for feature pyramids (FPN, Lin et al. 2017, eq. 1): a box of area w*h goes
// to level k = floor(k0 + log2(sqrt(w*h) / 224)), clamped to the pyramid, and is pooled from that
// level only. Level scales are inferred from the feature sizes as powers of two, as torchvision's
// MultiScaleRoIAlign does, and pooling uses aligned = false like it, so results match number for number.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>

#include "beyond/ops/multiscale_roi_align.h"
#include "beyond/ops/roi_ops.h"

namespace beyond::ops {
namespace {

/// 2^round(log2(feature / image)) along the height, as torchvision infers a level's scale.
double infer_scale(int64_t feature_size, int64_t image_size) {
  return std::pow(2.0, std::round(std::log2(static_cast<double>(feature_size) / static_cast<double>(image_size))));
}

at::Tensor roi_levels_impl(const at::Tensor& rois, int64_t k_min, int64_t k_max, int64_t canonical_scale,
                           int64_t canonical_level) {
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "roi_levels: rois must be a [K, 5] tensor, got ", rois.sizes());
  TORCH_CHECK(k_min <= k_max, "roi_levels: k_min (", k_min, ") must not exceed k_max (", k_max, ")");
  const auto boxes = rois.slice(1, 1);
  const auto s = at::sqrt((boxes.select(1, 2) - boxes.select(1, 0)) * (boxes.select(1, 3) - boxes.select(1, 1)));
  // The small epsilon keeps boxes exactly on a level boundary from dropping a level by rounding.
  const auto levels = at::floor(static_cast<double>(canonical_level) + at::log2(s / static_cast<double>(canonical_scale)) +
                                at::tensor(1e-6, s.options()));
  return levels.clamp(static_cast<double>(k_min), static_cast<double>(k_max)).to(at::kLong) - k_min;
}

at::Tensor multiscale_roi_align_impl(at::TensorList features, const at::Tensor& rois, at::IntArrayRef image_size,
                                     at::IntArrayRef output_size, int64_t sampling_ratio, int64_t canonical_scale,
                                     int64_t canonical_level) {
  TORCH_CHECK(!features.empty(), "multiscale_roi_align: features must hold at least one level");
  TORCH_CHECK(image_size.size() == 2 && output_size.size() == 2,
              "multiscale_roi_align: image_size and output_size must be (height, width)");
  std::vector<double> scales;
  for (const auto& f : features) {
    TORCH_CHECK(f.dim() == 4, "multiscale_roi_align: every feature level must be [N, C, H, W], got ", f.sizes());
    scales.push_back(infer_scale(f.size(2), image_size[0]));
  }
  if (features.size() == 1)
    return roi_align(features[0], rois, scales[0], output_size[0], output_size[1], sampling_ratio, false);
  const auto k_min = static_cast<int64_t>(-std::log2(static_cast<float>(scales.front())));
  const auto k_max = static_cast<int64_t>(-std::log2(static_cast<float>(scales.back())));
  const auto levels = roi_levels_impl(rois, k_min, k_max, canonical_scale, canonical_level);
  auto result = at::zeros({rois.size(0), features[0].size(1), output_size[0], output_size[1]}, features[0].options());
  for (size_t level = 0; level < features.size(); ++level) {
    const auto idx = at::where(levels == static_cast<int64_t>(level))[0];
    const auto pooled =
        roi_align(features[level], rois.index_select(0, idx), scales[level], output_size[0], output_size[1],
                  sampling_ratio, false);
    result = result.index_put({idx}, pooled);  // out of place, so autograd sees every level
  }
  return result;
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CompositeImplicitAutograd, m) {
  m.impl("roi_levels", TORCH_FN(roi_levels_impl));
  m.impl("multiscale_roi_align", TORCH_FN(multiscale_roi_align_impl));
}

MultiScaleRoIAlign::MultiScaleRoIAlign(MultiScaleRoIAlignOptions options) : options_(std::move(options)) {
  TORCH_CHECK(options_.output_size().size() == 2, "MultiScaleRoIAlign: output_size must be (height, width)");
}

at::Tensor MultiScaleRoIAlign::forward(const std::vector<at::Tensor>& features, const std::vector<at::Tensor>& boxes,
                                       const std::vector<std::vector<int64_t>>& image_sizes) const {
  TORCH_CHECK(!image_sizes.empty(), "MultiScaleRoIAlign: image_sizes must hold one (height, width) per image");
  int64_t max_h = 0, max_w = 0;
  for (const auto& s : image_sizes) {
    TORCH_CHECK(s.size() == 2, "MultiScaleRoIAlign: every image size must be (height, width)");
    max_h = std::max(max_h, s[0]);
    max_w = std::max(max_w, s[1]);
  }
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("beyond::multiscale_roi_align", "")
                       .typed<at::Tensor(at::TensorList, const at::Tensor&, at::IntArrayRef, at::IntArrayRef, int64_t,
                                         int64_t, int64_t)>();
  const auto rois = boxes_to_rois(boxes).to(features.at(0).scalar_type());
  return op.call(features, rois, {max_h, max_w}, options_.output_size(), options_.sampling_ratio(),
                 options_.canonical_scale(), options_.canonical_level());
}

}  // namespace beyond::ops
