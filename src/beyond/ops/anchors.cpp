// Anchors as composite ops, in torchvision's order so that RPN weights transfer: per level, the cell
// anchors are (aspect ratio major, size minor), centred on 0 and rounded; the grid repeats them at
// every position, row by row (y major), each position holding all of its cell anchors.
#include <ATen/ATen.h>
#include <torch/library.h>

#include "beyond/ops/anchors.h"

namespace beyond::ops {
namespace {

at::Tensor cell_anchors_impl(at::IntArrayRef sizes, at::ArrayRef<double> aspect_ratios) {
  TORCH_CHECK(!sizes.empty() && !aspect_ratios.empty(), "cell_anchors: sizes and aspect_ratios must not be empty");
  for (double r : aspect_ratios) TORCH_CHECK(r > 0, "cell_anchors: aspect ratios must be positive, got ", r);
  const auto scales = at::tensor(sizes, at::kFloat);
  const auto ratios = at::tensor(aspect_ratios, at::kDouble).to(at::kFloat);
  const auto h_ratios = at::sqrt(ratios), w_ratios = 1 / h_ratios;  // ratio = height / width
  const auto ws = (w_ratios.unsqueeze(1) * scales.unsqueeze(0)).reshape(-1);
  const auto hs = (h_ratios.unsqueeze(1) * scales.unsqueeze(0)).reshape(-1);
  return (at::stack({-ws, -hs, ws, hs}, 1) / 2).round();
}

at::Tensor grid_anchors_impl(const at::Tensor& cell_anchors, at::IntArrayRef grid_size, at::IntArrayRef stride) {
  TORCH_CHECK(cell_anchors.dim() == 2 && cell_anchors.size(1) == 4, "grid_anchors: cell_anchors must be [A, 4], got ",
              cell_anchors.sizes());
  TORCH_CHECK(grid_size.size() == 2 && stride.size() == 2, "grid_anchors: grid_size and stride must be (h, w) pairs");
  const auto opts = at::TensorOptions().dtype(at::kLong);
  const auto shifts_x = (at::arange(grid_size[1], opts) * stride[1]).to(cell_anchors.scalar_type());
  const auto shifts_y = (at::arange(grid_size[0], opts) * stride[0]).to(cell_anchors.scalar_type());
  const auto mesh = at::meshgrid({shifts_y, shifts_x}, "ij");
  const auto sy = mesh[0].reshape(-1), sx = mesh[1].reshape(-1);
  const auto shifts = at::stack({sx, sy, sx, sy}, 1);
  return (shifts.view({-1, 1, 4}) + cell_anchors.view({1, -1, 4})).reshape({-1, 4});
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CompositeImplicitAutograd, m) {
  m.impl("cell_anchors", TORCH_FN(cell_anchors_impl));
  m.impl("grid_anchors", TORCH_FN(grid_anchors_impl));
}

}  // namespace beyond::ops
