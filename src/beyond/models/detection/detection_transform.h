#pragma once
/// What happens to images before a detector sees them and to its boxes afterwards (torchvision's
/// GeneralizedRCNNTransform): each image is converted to float RGB, normalised by the mean and std,
/// resized so its shorter side is min_size (the longer at most max_size), and the batch is padded to
/// a multiple of size_divisibility; targets and external proposals are scaled with their image.
/// postprocess() maps detections back onto the original images.
///
/// Conventions that parity with torchvision depends on: the scale is computed in float32 as
/// min_size * (1 / shorter side) (PyTorch's number / tensor), the resize
/// is bilinear with align_corners = false and recompute_scale_factor = true (output size
/// floor(side * scale)), normalisation comes before the resize, and padding is zeros after it.
///
///   beyond::models::DetectionTransform t(beyond::models::DetectionTransformOptions().min_size({320}));
///   auto in = t.forward({image_a, image_b});         // in.images: ImageList, in.original_sizes
///   auto dets = t.postprocess(raw, in.images.image_sizes(), in.original_sizes);
#include <torch/arg.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "beyond/structures/image_list.h"
#include "beyond/structures/instances.h"

namespace beyond::models {

struct DetectionTransformOptions {
  /// Target shorter side. In training one value is drawn per image (multi-scale training); at test time
  /// the last one is used, as torchvision does.
  TORCH_ARG(std::vector<int64_t>, min_size) = std::vector<int64_t>{800};
  /// Shorter side at test time; 0: the last of min_size (torchvision's rule).
  TORCH_ARG(int64_t, test_min_size) = 0;
  /// The longer side never exceeds this.
  TORCH_ARG(int64_t, max_size) = 1333;
  TORCH_ARG(std::vector<double>, image_mean) = std::vector<double>{0.485, 0.456, 0.406};
  TORCH_ARG(std::vector<double>, image_std) = std::vector<double>{0.229, 0.224, 0.225};
  /// The padded batch's height and width are multiples of this (the backbone's largest stride).
  TORCH_ARG(int64_t, size_divisibility) = 32;
  /// Largest input image accepted, in pixels; a bigger one is an error that says so, rather than an
  /// allocation the machine cannot make (0: no limit).
  TORCH_ARG(int64_t, max_input_pixels) = 100'000'000;
};

/// A batch ready for the backbone, with targets and proposals in its coordinates.
struct TransformedBatch {
  ImageList images;
  std::vector<Instances> targets;            ///< boxes scaled to the resized images (empty if none given)
  std::vector<torch::Tensor> proposals;      ///< external proposals scaled likewise (empty if none given)
  std::vector<std::array<int64_t, 2>> original_sizes;
};

class DetectionTransform {
 public:
  explicit DetectionTransform(DetectionTransformOptions options = {});

  /// images: [C, H, W] each, C = 3 (RGB), 1 (grey, replicated) or 4 (RGBA, alpha dropped); uint8
  /// (0..255) or floating point in [0, 1]. targets: per image Instances with "boxes" (and "labels");
  /// only the boxes are rescaled, other fields are carried unchanged. proposals: per image [K, 4].
  /// `training` picks a random min_size per image from `generator` (torch's default one if none).
  TransformedBatch forward(const std::vector<torch::Tensor>& images, const std::vector<Instances>& targets = {},
                           const std::vector<torch::Tensor>& proposals = {}, bool training = false,
                           std::optional<at::Generator> generator = std::nullopt) const;

  /// One image as the float RGB [3, H, W] in [0, 1] the network expects (see forward for inputs).
  static torch::Tensor to_float_rgb(const torch::Tensor& image, int64_t index = 0);

  /// Size (height, width) that an image of `size` is resized to for shorter side `min_size`.
  std::array<int64_t, 2> resized_size(std::array<int64_t, 2> size, int64_t min_size) const;

  /// Detections from the padded batch's image_sizes back onto original_sizes.
  std::vector<Instances> postprocess(std::vector<Instances> detections,
                                     const std::vector<std::array<int64_t, 2>>& image_sizes,
                                     const std::vector<std::array<int64_t, 2>>& original_sizes) const;

  const DetectionTransformOptions& options() const { return options_; }

 private:
  torch::Tensor resize(const torch::Tensor& image, int64_t min_size) const;
  DetectionTransformOptions options_;
};

}  // namespace beyond::models
