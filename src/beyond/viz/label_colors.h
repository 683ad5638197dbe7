#pragma once
/// Colours for label maps, so that segmentations can be looked at: Pascal VOC's palette (label l's
/// colour is built from l's bits, interleaved into the high bits of R, G, B, so neighbouring labels
/// differ strongly and label 0 is black) with the ignore label 255 drawn in VOC's cream (224, 224, 192).
///
///   auto picture = beyond::viz::colorize_labels(labels);   // uint8 [3, H, W]
///   auto overlay = beyond::viz::blend_labels(image, labels, 0.5);
#include <torch/types.h>

#include <array>
#include <cstdint>

namespace beyond::viz {

/// Pascal VOC's colour of label 0..255.
std::array<uint8_t, 3> label_color(int64_t label);

/// uint8 [3, H, W] colours of an integer label map [H, W]. Labels outside 0..255 are an error.
torch::Tensor colorize_labels(const torch::Tensor& labels);

/// image (uint8 or [0, 1] float [3, H, W]) mixed with the label colours: (1 - alpha) image + alpha colour,
/// background (0) left as the image. uint8 [3, H, W].
torch::Tensor blend_labels(const torch::Tensor& image, const torch::Tensor& labels, double alpha = 0.5);

}  // namespace beyond::viz
