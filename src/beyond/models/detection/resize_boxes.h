#pragma once
/// Maps detections from the resized image the network saw back onto the original image, as the last
/// step of torchvision's GeneralizedRCNNTransform.postprocess: x scales by new_width / old_width and y by
/// new_height / old_height, the ratios computed in float32 as torchvision does, so boxes agree to the bit.
///
///   auto boxes = beyond::models::resize_boxes(det.boxes().tensor(), {800, 1067}, {480, 640});
///   beyond::models::resize_detections(detections, original_sizes);   // every Instances, in place
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

#include "beyond/structures/instances.h"

namespace beyond::models {

/// boxes [N, 4] (x1, y1, x2, y2) in an image of from_size (height, width) -> the same boxes in an
/// image of to_size.
torch::Tensor resize_boxes(const torch::Tensor& boxes, std::array<int64_t, 2> from_size,
                           std::array<int64_t, 2> to_size);

/// Resizes the boxes of each detections[i] from its image size to original_sizes[i] and sets that size.
void resize_detections(std::vector<Instances>& detections, const std::vector<std::array<int64_t, 2>>& original_sizes);

}  // namespace beyond::models
