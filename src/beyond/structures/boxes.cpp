#include "beyond/structures/boxes.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/ops/box_ops.h"
#include "beyond/structures/tensor_checks.h"

namespace beyond {

namespace {
torch::Tensor checked_box_tensor(torch::Tensor t, const char* what) {
  BEYOND_CHECK(t.defined(), what, ": the box tensor is undefined");
  if (t.numel() == 0) t = t.reshape({0, 4});
  BEYOND_CHECK(t.dim() == 2 && t.size(1) == 4, what, ": boxes must be an [N, 4] tensor, got shape ", t.sizes());
  BEYOND_CHECK(t.scalar_type() != torch::kBool, what, ": boxes must be numbers, got a bool tensor");
  if (!t.is_floating_point()) t = t.to(torch::kFloat32);
  return t;
}
}  // namespace

Boxes::Boxes() : xyxy_(torch::zeros({0, 4}, torch::kFloat32)) {}

Boxes::Boxes(torch::Tensor xyxy) : xyxy_(checked_box_tensor(std::move(xyxy), "Boxes")) {}

Boxes Boxes::from_xywh(const torch::Tensor& xywh) {
  const auto t = checked_box_tensor(xywh, "Boxes::from_xywh");
  const auto xy = t.slice(1, 0, 2);
  return Boxes(torch::cat({xy, xy + t.slice(1, 2, 4)}, 1));
}

Boxes Boxes::from_cxcywh(const torch::Tensor& cxcywh) {
  const auto t = checked_box_tensor(cxcywh, "Boxes::from_cxcywh");
  const auto c = t.slice(1, 0, 2), half = t.slice(1, 2, 4) / 2;
  return Boxes(torch::cat({c - half, c + half}, 1));
}

Boxes Boxes::cat(const std::vector<Boxes>& boxes) {
  if (boxes.empty()) return Boxes();
  std::vector<torch::Tensor> parts;
  for (const auto& b : boxes) {
    BEYOND_CHECK(b.tensor().scalar_type() == boxes[0].tensor().scalar_type(), "Boxes::cat: boxes of dtype ",
                 b.tensor().scalar_type(), " and ", boxes[0].tensor().scalar_type(), " cannot be concatenated");
    parts.push_back(b.tensor());
  }
  return Boxes(torch::cat(parts, 0));
}

torch::Tensor Boxes::to_xywh() const {
  const auto xy = xyxy_.slice(1, 0, 2);
  return torch::cat({xy, xyxy_.slice(1, 2, 4) - xy}, 1);
}

torch::Tensor Boxes::to_cxcywh() const {
  const auto p1 = xyxy_.slice(1, 0, 2), p2 = xyxy_.slice(1, 2, 4);
  return torch::cat({(p1 + p2) / 2, p2 - p1}, 1);
}

torch::Tensor Boxes::area() const { return ops::box_area(xyxy_); }

Boxes Boxes::clip(int64_t height, int64_t width) const {
  BEYOND_CHECK(height >= 0 && width >= 0, "Boxes::clip: image size must be non-negative, got ", height, " x ", width);
  return Boxes(ops::clip_boxes_to_image(xyxy_, {height, width}));
}

torch::Tensor Boxes::nonempty(double threshold) const {
  const auto w = xyxy_.select(1, 2) - xyxy_.select(1, 0), h = xyxy_.select(1, 3) - xyxy_.select(1, 1);
  return (w > threshold).logical_and(h > threshold);
}

Boxes Boxes::scale(double sx, double sy) const {
  const auto f = torch::tensor({sx, sy, sx, sy}, xyxy_.options());
  return Boxes(xyxy_ * f);
}

Boxes Boxes::translate(double dx, double dy) const {
  const auto d = torch::tensor({dx, dy, dx, dy}, xyxy_.options());
  return Boxes(xyxy_ + d);
}

torch::Tensor Boxes::inside(int64_t height, int64_t width, double boundary) const {
  const double b = boundary;
  return (xyxy_.select(1, 0) >= -b)
      .logical_and(xyxy_.select(1, 1) >= -b)
      .logical_and(xyxy_.select(1, 2) <= width + b)
      .logical_and(xyxy_.select(1, 3) <= height + b);
}

torch::Tensor Boxes::iou(const Boxes& other) const { return ops::box_iou(xyxy_, other.tensor()); }

Boxes Boxes::operator[](const torch::Tensor& index) const {
  return Boxes(xyxy_.index_select(0, detail::as_row_index(index, size(), "Boxes::operator[]").to(xyxy_.device())));
}

Boxes Boxes::operator[](int64_t i) const {
  BEYOND_CHECK(i >= 0 && i < size(), "Boxes::operator[]: index ", i, " is outside [0, ", size(), ")");
  return Boxes(xyxy_.slice(0, i, i + 1));
}

}  // namespace beyond
