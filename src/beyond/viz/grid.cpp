#include "beyond/viz/grid.h"

#include <algorithm>

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/core/image.h"

namespace beyond::viz {

torch::Tensor make_grid(const torch::Tensor& images, int64_t nrow, int64_t padding, double pad_value) {
  BEYOND_CHECK(images.defined(), "make_grid: the images tensor is undefined");
  BEYOND_CHECK(nrow > 0, "make_grid: nrow (images per row) must be positive, got ", nrow);
  BEYOND_CHECK(padding >= 0, "make_grid: padding must be >= 0, got ", padding);
  torch::Tensor x = images.detach().to(torch::kCPU);
  if (x.dim() == 3) x = x.unsqueeze(0);
  BEYOND_CHECK(x.dim() == 4, "make_grid: expected images of shape [N, C, H, W] or [C, H, W], got ", images.sizes());
  BEYOND_CHECK(x.size(0) > 0, "make_grid: no images to tile (shape ", images.sizes(), ")");
  if (x.scalar_type() == torch::kUInt8) {
    x = x.to(torch::kFloat32).div(255.0);
  } else {
    BEYOND_CHECK(x.is_floating_point(), "make_grid: expected float images in [0, 1] or uint8, got ", x.scalar_type());
    x = x.to(torch::kFloat32);
  }
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t cols = std::min(nrow, n);
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t cell_h = h + padding, cell_w = w + padding;
  torch::Tensor grid = torch::full({c, rows * cell_h + padding, cols * cell_w + padding}, pad_value, torch::kFloat32);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i / cols, k = i % cols;
    grid.narrow(1, r * cell_h + padding, h).narrow(2, k * cell_w + padding, w).copy_(x[i]);
  }
  return grid;
}

void save_grid(const torch::Tensor& images, const std::string& path, int64_t nrow, int64_t padding) {
  write_image(path, make_grid(images, nrow, padding));
}

torch::Tensor stack_rows(const std::vector<torch::Tensor>& rows) {
  BEYOND_CHECK(!rows.empty(), "stack_rows: no rows given");
  int64_t channels = 1;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    BEYOND_CHECK(row.defined() && row.dim() == 4, "stack_rows: row ", r, " must have shape [N, C, H, W], got ",
                 row.defined() ? row.sizes() : torch::IntArrayRef{});
    BEYOND_CHECK(row.sizes().slice(2) == rows[0].sizes().slice(2) && row.size(0) == rows[0].size(0), "stack_rows: row ",
                 r, " has shape ", row.sizes(), " but row 0 has ", rows[0].sizes(),
                 "; rows need the same number of images and the same H, W");
    BEYOND_CHECK(row.size(1) == 1 || row.size(1) == 3, "stack_rows: row ", r, " has ", row.size(1),
                 " channels; expected 1 or 3");
    channels = std::max(channels, row.size(1));
  }
  std::vector<torch::Tensor> parts;
  parts.reserve(rows.size());
  for (const auto& row : rows) {
    torch::Tensor t = row.detach().to(torch::kCPU);
    t = t.scalar_type() == torch::kUInt8 ? t.to(torch::kFloat32).div(255.0) : t.to(torch::kFloat32);
    if (t.size(1) != channels) t = t.expand({t.size(0), channels, t.size(2), t.size(3)});
    parts.push_back(t);
  }
  return torch::cat(parts, 0);
}

}  // namespace beyond::viz
