#include "beyond/models/detection/detection_transform.h"

#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cmath>

#include "beyond/core/error.h"
#include "beyond/models/detection/resize_boxes.h"

namespace beyond::models {

DetectionTransform::DetectionTransform(DetectionTransformOptions options) : options_(std::move(options)) {
  BEYOND_CHECK(!options_.min_size().empty(), "DetectionTransformOptions::min_size needs at least one size");
  for (int64_t s : options_.min_size())
    BEYOND_CHECK(s > 0, "DetectionTransformOptions::min_size must be positive, got ", s);
  BEYOND_CHECK(options_.max_size() > 0, "DetectionTransformOptions::max_size must be positive, got ",
               options_.max_size());
  BEYOND_CHECK(options_.image_mean().size() == 3 && options_.image_std().size() == 3,
               "DetectionTransformOptions: image_mean and image_std need 3 values (R, G, B), got ",
               options_.image_mean().size(), " and ", options_.image_std().size());
  for (double s : options_.image_std()) BEYOND_CHECK(s > 0, "DetectionTransformOptions::image_std must be positive");
}

torch::Tensor DetectionTransform::to_float_rgb(const torch::Tensor& image, int64_t index) {
  BEYOND_CHECK(image.defined() && image.dim() == 3, "detector input ", index,
               " must be an image [C, H, W], got ", image.defined() ? image.sizes() : at::IntArrayRef{});
  const int64_t c = image.size(0);
  BEYOND_CHECK(c == 1 || c == 3 || c == 4, "detector input ", index, " has ", c,
               " channels; give RGB (3), grey (1) or RGBA (4) images");
  BEYOND_CHECK(image.size(1) > 0 && image.size(2) > 0, "detector input ", index, " is empty: ", image.sizes());
  torch::Tensor rgb = c == 1 ? image.expand({3, image.size(1), image.size(2)}) : image.slice(0, 0, 3);
  if (rgb.scalar_type() == torch::kUInt8) return rgb.to(torch::kFloat32).div_(255);
  BEYOND_CHECK(rgb.is_floating_point(), "detector input ", index, " has dtype ", rgb.scalar_type(),
               "; give uint8 (0..255) or floating point (0..1) images");
  return rgb.to(torch::kFloat32);
}

std::array<int64_t, 2> DetectionTransform::resized_size(std::array<int64_t, 2> size, int64_t min_size) const {
  // torchvision computes `float / float32 tensor`, which PyTorch evaluates as reciprocal() * float in
  // float32; the same arithmetic here makes sizes agree to the pixel (480 -> 800, not 799).
  const float shorter = static_cast<float>(std::min(size[0], size[1]));
  const float longer = static_cast<float>(std::max(size[0], size[1]));
  const float scale = std::min((1.0f / shorter) * static_cast<float>(min_size),
                               (1.0f / longer) * static_cast<float>(options_.max_size()));
  const double s = scale;
  return {static_cast<int64_t>(std::floor(static_cast<double>(size[0]) * s)),
          static_cast<int64_t>(std::floor(static_cast<double>(size[1]) * s))};
}

torch::Tensor DetectionTransform::resize(const torch::Tensor& image, int64_t min_size) const {
  const auto out = resized_size({image.size(1), image.size(2)}, min_size);
  BEYOND_CHECK(out[0] > 0 && out[1] > 0, "detector input of size ", image.size(1), "x", image.size(2),
               " would be resized to ", out[0], "x", out[1], "; its aspect ratio is too extreme for max_size ",
               options_.max_size());
  namespace F = torch::nn::functional;
  return F::interpolate(image.unsqueeze(0), F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{out[0], out[1]})
                                                .mode(torch::kBilinear)
                                                .align_corners(false))
      .squeeze(0);
}

TransformedBatch DetectionTransform::forward(const std::vector<torch::Tensor>& images,
                                             const std::vector<Instances>& targets,
                                             const std::vector<torch::Tensor>& proposals, bool training,
                                             std::optional<at::Generator> generator) const {
  BEYOND_CHECK(!images.empty(), "detector: no images given");
  BEYOND_CHECK(targets.empty() || targets.size() == images.size(), "detector: ", targets.size(), " targets for ",
               images.size(), " images; give one Instances per image (empty ones for negatives)");
  BEYOND_CHECK(proposals.empty() || proposals.size() == images.size(), "detector: ", proposals.size(),
               " proposal tensors for ", images.size(), " images");
  const auto mean = torch::tensor(options_.image_mean(), torch::kFloat32).view({3, 1, 1});
  const auto std = torch::tensor(options_.image_std(), torch::kFloat32).view({3, 1, 1});
  const auto& sizes = options_.min_size();
  TransformedBatch out;
  std::vector<torch::Tensor> resized;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& image = images[i];
    const int64_t pixels = image.dim() == 3 ? image.size(1) * image.size(2) : 0;
    BEYOND_CHECK(options_.max_input_pixels() <= 0 || pixels <= options_.max_input_pixels(), "detector input ", i,
                 " is ", image.size(1), "x", image.size(2), " = ", pixels, " pixels, more than max_input_pixels ",
                 options_.max_input_pixels(), "; downscale it first or raise the limit");
    auto x = to_float_rgb(image, static_cast<int64_t>(i));
    x = (x - mean.to(x.device())) / std.to(x.device());
    int64_t min_size = options_.test_min_size() > 0 ? options_.test_min_size() : sizes.back();
    if (training && sizes.size() > 1) {
      const auto n = static_cast<int64_t>(sizes.size());
      const auto draw = generator ? torch::randint(n, {1}, *generator, torch::kLong) : torch::randint(n, {1}, torch::kLong);
      min_size = sizes[draw.item<int64_t>()];
    }
    const std::array<int64_t, 2> original{x.size(1), x.size(2)};
    x = resize(x, min_size);
    const std::array<int64_t, 2> now{x.size(1), x.size(2)};
    out.original_sizes.push_back(original);
    resized.push_back(x);
    if (!targets.empty()) {
      Instances t = targets[i];
      if (t.has(Instances::kBoxes)) t.set(Instances::kBoxes, resize_boxes(t.get(Instances::kBoxes), original, now));
      t.set_image_size(now[0], now[1]);
      out.targets.push_back(std::move(t));
    }
    if (!proposals.empty()) out.proposals.push_back(resize_boxes(proposals[i], original, now));
  }
  out.images = ImageList::from_tensors(resized, options_.size_divisibility());
  return out;
}

std::vector<Instances> DetectionTransform::postprocess(std::vector<Instances> detections,
                                                       const std::vector<std::array<int64_t, 2>>& image_sizes,
                                                       const std::vector<std::array<int64_t, 2>>& original_sizes) const {
  BEYOND_CHECK(detections.size() == image_sizes.size() && detections.size() == original_sizes.size(),
               "DetectionTransform::postprocess: ", detections.size(), " detections, ", image_sizes.size(),
               " image sizes and ", original_sizes.size(), " original sizes");
  for (size_t i = 0; i < detections.size(); ++i) detections[i].set_image_size(image_sizes[i][0], image_sizes[i][1]);
  resize_detections(detections, original_sizes);
  return detections;
}

}  // namespace beyond::models
