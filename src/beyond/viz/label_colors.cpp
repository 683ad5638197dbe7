#include "beyond/viz/label_colors.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::viz {

std::array<uint8_t, 3> label_color(int64_t label) {
  BEYOND_CHECK(label >= 0 && label <= 255, "label_color: label ", label, " is outside 0..255");
  if (label == 255) return {224, 224, 192};
  std::array<uint8_t, 3> c{0, 0, 0};
  int64_t l = label;
  for (int shift = 7; shift >= 0 && l > 0; --shift, l >>= 3)
    for (int ch = 0; ch < 3; ++ch) c[ch] = static_cast<uint8_t>(c[ch] | (((l >> ch) & 1) << shift));
  return c;
}

namespace {
torch::Tensor palette() {
  auto p = torch::empty({256, 3}, torch::kUInt8);
  auto a = p.accessor<uint8_t, 2>();
  for (int64_t l = 0; l < 256; ++l) {
    const auto c = label_color(l);
    for (int ch = 0; ch < 3; ++ch) a[l][ch] = c[ch];
  }
  return p;
}
}  // namespace

torch::Tensor colorize_labels(const torch::Tensor& labels) {
  BEYOND_CHECK(labels.dim() == 2 && !labels.is_floating_point(), "colorize_labels: expected an integer [H, W] label map, got ",
               labels.sizes(), " ", labels.scalar_type());
  const auto l = labels.to(torch::kCPU, torch::kInt64);
  BEYOND_CHECK(l.numel() == 0 || (l.min().item<int64_t>() >= 0 && l.max().item<int64_t>() <= 255),
               "colorize_labels: labels must lie in 0..255");
  static const torch::Tensor colours = palette();
  return colours.index_select(0, l.flatten()).view({l.size(0), l.size(1), 3}).permute({2, 0, 1}).contiguous();
}

torch::Tensor blend_labels(const torch::Tensor& image, const torch::Tensor& labels, double alpha) {
  auto img = image.is_floating_point() ? (image * 255).round().clamp(0, 255) : image.to(torch::kFloat32);
  const auto colours = colorize_labels(labels).to(torch::kFloat32);
  const auto mixed = (1 - alpha) * img + alpha * colours;
  return torch::where((labels == 0).unsqueeze(0), img, mixed).round().to(torch::kUInt8);
}

}  // namespace beyond::viz
