#include "beyond/models/detection/resize_boxes.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::models {

torch::Tensor resize_boxes(const torch::Tensor& boxes, std::array<int64_t, 2> from_size,
                           std::array<int64_t, 2> to_size) {
  BEYOND_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "resize_boxes: boxes must be [N, 4], got ", boxes.sizes());
  BEYOND_CHECK(from_size[0] > 0 && from_size[1] > 0 && to_size[0] > 0 && to_size[1] > 0,
               "resize_boxes: image sizes must be positive, got (", from_size[0], ", ", from_size[1], ") -> (",
               to_size[0], ", ", to_size[1], ")");
  // float32 ratios, as torchvision divides two float32 tensors.
  const float ratio_h = static_cast<float>(to_size[0]) / static_cast<float>(from_size[0]);
  const float ratio_w = static_cast<float>(to_size[1]) / static_cast<float>(from_size[1]);
  const auto b = boxes.unbind(1);
  return torch::stack({b[0] * ratio_w, b[1] * ratio_h, b[2] * ratio_w, b[3] * ratio_h}, 1);
}

void resize_detections(std::vector<Instances>& detections, const std::vector<std::array<int64_t, 2>>& original_sizes) {
  BEYOND_CHECK(detections.size() == original_sizes.size(), "resize_detections: ", detections.size(),
               " detection sets for ", original_sizes.size(), " original image sizes");
  for (size_t i = 0; i < detections.size(); ++i) {
    auto& d = detections[i];
    if (d.has(Instances::kBoxes))
      d.set_boxes(Boxes(resize_boxes(d.boxes().tensor(), d.image_size(), original_sizes[i])));
    d.set_image_size(original_sizes[i][0], original_sizes[i][1]);
  }
}

}  // namespace beyond::models
