#include "beyond/data/transforms/functional.h"

#include <torch/torch.h>

#include <cmath>

#include "beyond/core/error.h"
#include "beyond/structures/tensor_checks.h"

namespace beyond::data::transforms {

namespace F = torch::nn::functional;

namespace {

/// Source row (or column) of each of `out` nearest-neighbour samples of `in`, pixel-centre aligned.
torch::Tensor nearest_index(int64_t in, int64_t out) {
  return ((torch::arange(out, torch::kFloat64) + 0.5) * (static_cast<double>(in) / out))
      .floor()
      .clamp(0, in - 1)
      .to(torch::kInt64);
}

/// Nearest-neighbour resize of the last two dimensions of `t` (any dtype, exact values).
torch::Tensor resize_nearest(const torch::Tensor& t, int64_t height, int64_t width) {
  const int64_t d = t.dim();
  return t.index_select(d - 2, nearest_index(t.size(d - 2), height).to(t.device()))
      .index_select(d - 1, nearest_index(t.size(d - 1), width).to(t.device()));
}

torch::Tensor resize_bilinear(const torch::Tensor& image, int64_t height, int64_t width) {
  const bool bytes = image.scalar_type() == torch::kUInt8;
  auto x = (bytes ? image.to(torch::kFloat32) : image).unsqueeze(0);
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{height, width})
                            .mode(torch::kBilinear)
                            .align_corners(false))
          .squeeze(0);
  return bytes ? x.round().clamp(0, 255).to(torch::kUInt8) : x;
}

torch::Tensor check_rgb_float(const torch::Tensor& image, const char* what) {
  BEYOND_CHECK(image.defined() && image.dim() == 3 && image.size(0) == 3 && image.is_floating_point(), what,
               ": expects a floating-point RGB image [3, H, W] in [0, 1], got ", beyond::detail::describe(image));
  return image;
}

torch::Tensor blend(const torch::Tensor& image, const torch::Tensor& other, double factor) {
  return (factor * image + (1 - factor) * other).clamp(0, 1);
}

torch::Tensor channel_stats(const std::vector<double>& values, const torch::Tensor& image, const char* what,
                            const char* which) {
  BEYOND_CHECK(image.defined() && image.dim() == 3, what, ": the image must be [C, H, W], got ",
               beyond::detail::describe(image));
  BEYOND_CHECK(static_cast<int64_t>(values.size()) == image.size(0), what, ": ", which, " has ", values.size(),
               " values but the image has ", image.size(0), " channels");
  return torch::tensor(values, torch::kFloat64).to(torch::kFloat32).view({-1, 1, 1}).to(image.device());
}

}  // namespace

void resize(Sample& sample, int64_t height, int64_t width) {
  sample.validate("resize");
  BEYOND_CHECK(height > 0 && width > 0, "resize: the output size must be positive, got ", height, " x ", width);
  const double sx = static_cast<double>(width) / sample.width(), sy = static_cast<double>(height) / sample.height();
  sample.image = resize_bilinear(sample.image, height, width);
  auto& t = sample.target;
  if (t.has(Instances::kBoxes)) t.set_boxes(t.boxes().scale(sx, sy));
  if (t.has(Instances::kKeypoints)) {
    const auto& k = t.keypoints();
    const auto f = torch::tensor({sx, sy, 1.0}, torch::kFloat64).to(k.options());
    t.set(Instances::kKeypoints, k * f);
  }
  t.set_image_size(height, width);
  if (t.has(Instances::kMasks)) t.set(Instances::kMasks, resize_nearest(t.masks(), height, width));
  if (sample.semantic.defined()) sample.semantic = resize_nearest(sample.semantic, height, width);
}

std::array<int64_t, 2> shortest_edge_size(int64_t h, int64_t w, int64_t short_side, int64_t max_size) {
  BEYOND_CHECK(h > 0 && w > 0 && short_side > 0, "shortest_edge_size: sizes must be positive, got image ", h, " x ", w,
               " and shorter side ", short_side);
  double scale = static_cast<double>(short_side) / std::min(h, w);
  if (max_size > 0 && scale * std::max(h, w) > max_size) scale = static_cast<double>(max_size) / std::max(h, w);
  const auto round = [](double v) { return std::max<int64_t>(1, static_cast<int64_t>(std::floor(v + 0.5))); };
  return {round(h * scale), round(w * scale)};
}

torch::Tensor hflip_boxes(const torch::Tensor& boxes, double width) {
  return torch::stack({width - boxes.select(1, 2), boxes.select(1, 1), width - boxes.select(1, 0), boxes.select(1, 3)}, 1);
}

void hflip(Sample& sample, const std::vector<int64_t>& flip_map) {
  sample.validate("hflip");
  const double w = static_cast<double>(sample.width());
  sample.image = sample.image.flip({2});
  auto& t = sample.target;
  if (t.has(Instances::kBoxes)) {
    t.set(Instances::kBoxes, hflip_boxes(t.get(Instances::kBoxes), w));
  }
  if (t.has(Instances::kKeypoints)) {
    auto k = t.keypoints().clone();
    k.select(2, 0).mul_(-1).add_(w);
    if (!flip_map.empty()) {
      const int64_t n_kp = k.size(1);
      BEYOND_CHECK(static_cast<int64_t>(flip_map.size()) == n_kp, "hflip: the flip map has ", flip_map.size(),
                   " entries but the instances have ", n_kp, " keypoints; give a flip map for this keypoint set");
      k = k.index_select(1, torch::tensor(flip_map, torch::kInt64).to(k.device()));
    }
    t.set(Instances::kKeypoints, k);
  }
  if (t.has(Instances::kMasks)) t.set(Instances::kMasks, t.masks().flip({2}));
  if (sample.semantic.defined()) sample.semantic = sample.semantic.flip({1});
}

const std::vector<int64_t>& coco_person_flip_map() {
  // nose; left/right eye, ear, shoulder, elbow, wrist, hip, knee, ankle (COCO's keypoint order).
  static const std::vector<int64_t> map{0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15};
  return map;
}

void crop(Sample& sample, int64_t top, int64_t left, int64_t height, int64_t width) {
  sample.validate("crop");
  BEYOND_CHECK(height > 0 && width > 0 && top >= 0 && left >= 0 && top + height <= sample.height() &&
                   left + width <= sample.width(),
               "crop: the region (top ", top, ", left ", left, ", ", height, " x ", width, ") is not inside the ",
               sample.height(), " x ", sample.width(), " image");
  const auto rows = [&](const torch::Tensor& x, int64_t dim) {
    return x.slice(dim, top, top + height).slice(dim + 1, left, left + width).contiguous();
  };
  sample.image = rows(sample.image, 1);
  if (sample.semantic.defined()) sample.semantic = rows(sample.semantic, 0);
  auto& t = sample.target;
  t.set_image_size(height, width);
  if (t.has(Instances::kMasks)) t.set(Instances::kMasks, rows(t.masks(), 1));
  if (t.has(Instances::kKeypoints)) {
    auto k = t.keypoints().clone();
    k.select(2, 0).sub_(static_cast<double>(left));
    k.select(2, 1).sub_(static_cast<double>(top));
    const auto x = k.select(2, 0), y = k.select(2, 1);
    const auto outside = (x < 0).logical_or(x >= width).logical_or(y < 0).logical_or(y >= height);
    k.select(2, 2).masked_fill_(outside, 0);
    t.set(Instances::kKeypoints, k);
  }
  if (t.has(Instances::kBoxes)) {
    const Boxes b = t.boxes().translate(-static_cast<double>(left), -static_cast<double>(top)).clip(height, width);
    t.set_boxes(b);
    t = t[b.nonempty()];
  }
}

const std::vector<double>& imagenet_mean() {
  static const std::vector<double> mean{0.485, 0.456, 0.406};
  return mean;
}

const std::vector<double>& imagenet_std() {
  static const std::vector<double> std{0.229, 0.224, 0.225};
  return std;
}

torch::Tensor normalize(const torch::Tensor& image, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto m = channel_stats(mean, image, "normalize", "mean"), s = channel_stats(std, image, "normalize", "std");
  for (double v : std) BEYOND_CHECK(v > 0, "normalize: std must be positive, got ", v);
  BEYOND_CHECK(image.scalar_type() == torch::kUInt8 || image.is_floating_point(),
               "normalize: the image must be uint8 or floating point, got ", image.scalar_type());
  const auto x = image.scalar_type() == torch::kUInt8 ? image.to(torch::kFloat32) / 255 : image.to(torch::kFloat32);
  return (x - m) / s;
}

torch::Tensor denormalize(const torch::Tensor& image, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto m = channel_stats(mean, image, "denormalize", "mean"), s = channel_stats(std, image, "denormalize", "std");
  BEYOND_CHECK(image.is_floating_point(), "denormalize: the image must be floating point, got ", image.scalar_type());
  return image.to(torch::kFloat32) * s + m;
}

torch::Tensor rgb_to_grayscale(const torch::Tensor& image) {
  check_rgb_float(image, "rgb_to_grayscale");
  return (0.2989 * image[0] + 0.587 * image[1] + 0.114 * image[2]).unsqueeze(0);
}

torch::Tensor adjust_brightness(const torch::Tensor& image, double factor) {
  check_rgb_float(image, "adjust_brightness");
  return (image * factor).clamp(0, 1);
}

torch::Tensor adjust_contrast(const torch::Tensor& image, double factor) {
  check_rgb_float(image, "adjust_contrast");
  return blend(image, rgb_to_grayscale(image).mean(), factor);
}

torch::Tensor adjust_saturation(const torch::Tensor& image, double factor) {
  check_rgb_float(image, "adjust_saturation");
  return blend(image, rgb_to_grayscale(image), factor);
}

torch::Tensor adjust_hue(const torch::Tensor& image, double shift) {
  check_rgb_float(image, "adjust_hue");
  BEYOND_CHECK(shift >= -0.5 && shift <= 0.5, "adjust_hue: the hue shift must be in [-0.5, 0.5], got ", shift);
  // RGB -> HSV (hue in turns).
  const auto r = image[0], g = image[1], b = image[2];
  const auto maxc = std::get<0>(image.max(0)), minc = std::get<0>(image.min(0));
  const auto chroma = maxc - minc;
  const auto sat = chroma / torch::where(maxc == 0, torch::ones_like(maxc), maxc);
  const auto c = torch::where(chroma == 0, torch::ones_like(chroma), chroma);
  const auto rc = (maxc - r) / c, gc = (maxc - g) / c, bc = (maxc - b) / c;
  auto hue = torch::where(maxc == r, bc - gc, torch::where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc));
  hue = torch::where(chroma == 0, torch::zeros_like(hue), hue);
  hue = torch::remainder(hue / 6.0 + shift, 1.0);
  // HSV -> RGB.
  const auto& v = maxc;
  const auto h6 = hue * 6.0;
  const auto sector = torch::remainder(h6.floor(), 6.0).to(torch::kInt64);
  const auto f = h6 - h6.floor();
  const auto p = v * (1 - sat), q = v * (1 - sat * f), t = v * (1 - sat * (1 - f));
  const auto pick = [&](std::vector<torch::Tensor> by_sector) {
    return torch::stack(by_sector, 0).gather(0, sector.unsqueeze(0)).squeeze(0);
  };
  return torch::stack({pick({v, q, p, p, t, v}), pick({t, v, v, q, p, p}), pick({p, p, t, v, v, q})}, 0).clamp(0, 1);
}

}  // namespace beyond::data::transforms
