#include <ATen/core/dispatch/Dispatcher.h>

#include "beyond/ops/anchors.h"

namespace beyond::ops {

at::Tensor cell_anchors(at::IntArrayRef sizes, at::ArrayRef<double> aspect_ratios) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("beyond::cell_anchors", "")
                       .typed<at::Tensor(at::IntArrayRef, at::ArrayRef<double>)>();
  return op.call(sizes, aspect_ratios);
}

at::Tensor grid_anchors(const at::Tensor& cell, at::IntArrayRef grid_size, at::IntArrayRef stride) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("beyond::grid_anchors", "")
                       .typed<at::Tensor(const at::Tensor&, at::IntArrayRef, at::IntArrayRef)>();
  return op.call(cell, grid_size, stride);
}

AnchorGenerator::AnchorGenerator(std::vector<std::vector<int64_t>> sizes,
                                 std::vector<std::vector<double>> aspect_ratios) {
  TORCH_CHECK(!sizes.empty(), "AnchorGenerator: give the anchor sizes of at least one level");
  TORCH_CHECK(aspect_ratios.size() == 1 || aspect_ratios.size() == sizes.size(), "AnchorGenerator: ",
              sizes.size(), " levels of sizes but ", aspect_ratios.size(),
              " lists of aspect ratios (give one list, or one per level)");
  for (size_t i = 0; i < sizes.size(); ++i)
    cell_anchors_.push_back(cell_anchors(sizes[i], aspect_ratios[aspect_ratios.size() == 1 ? 0 : i]));
}

std::vector<int64_t> AnchorGenerator::num_anchors_per_location() const {
  std::vector<int64_t> n;
  for (const auto& c : cell_anchors_) n.push_back(c.size(0));
  return n;
}

at::Tensor AnchorGenerator::anchors(at::IntArrayRef image_size,
                                    const std::vector<std::vector<int64_t>>& feature_sizes) const {
  TORCH_CHECK(image_size.size() == 2, "AnchorGenerator::anchors: image_size must be (height, width)");
  TORCH_CHECK(feature_sizes.size() == cell_anchors_.size(), "AnchorGenerator::anchors: ", feature_sizes.size(),
              " feature maps for ", cell_anchors_.size(), " anchor levels");
  std::vector<at::Tensor> levels;
  for (size_t i = 0; i < feature_sizes.size(); ++i) {
    const auto& f = feature_sizes[i];
    TORCH_CHECK(f.size() == 2 && f[0] > 0 && f[1] > 0, "AnchorGenerator::anchors: feature size ", i,
                " must be a positive (height, width)");
    levels.push_back(grid_anchors(cell_anchors_[i], f, {image_size[0] / f[0], image_size[1] / f[1]}));
  }
  return at::cat(levels, 0);
}

}  // namespace beyond::ops
