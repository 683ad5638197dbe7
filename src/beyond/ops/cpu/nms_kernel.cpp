// Non-maximum suppression and pairwise IoU on the CPU. NMS walks the boxes by decreasing score
// (stable: equal scores keep index order) and suppresses later boxes that overlap a kept one by more
// than the threshold. Boxes are copied into sorted, separate coordinate arrays so that the inner loop
// over candidates is a contiguous, vectorisable sweep; long sweeps are split across threads.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "beyond/ops/checks.h"

namespace beyond::ops::cpu {
namespace {

template <typename T>
void suppress_after(int64_t i, int64_t begin, int64_t end, const T* x1, const T* y1, const T* x2, const T* y2,
                    const T* area, T threshold, uint8_t* suppressed) {
  const T ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
  for (int64_t j = begin; j < end; ++j) {
    const T w = std::max<T>(std::min(ix2, x2[j]) - std::max(ix1, x1[j]), 0);
    const T h = std::max<T>(std::min(iy2, y2[j]) - std::max(iy1, y1[j]), 0);
    const T inter = w * h;
    // inter / union > threshold, as torchvision computes it (a zero union gives NaN: not suppressed).
    suppressed[j] |= static_cast<uint8_t>(inter / (iarea + area[j] - inter) > threshold);
  }
}

/// Kept positions in the score order `order` (indices into boxes).
template <typename T>
std::vector<int64_t> nms_sorted(const T* boxes, const std::vector<int64_t>& order, T threshold) {
  const auto n = static_cast<int64_t>(order.size());
  std::vector<T> x1(n), y1(n), x2(n), y2(n), area(n);
  for (int64_t k = 0; k < n; ++k) {
    const T* b = boxes + 4 * order[k];
    x1[k] = b[0];
    y1[k] = b[1];
    x2[k] = b[2];
    y2[k] = b[3];
    area[k] = (b[2] - b[0]) * (b[3] - b[1]);
  }
  std::vector<uint8_t> suppressed(n, 0);
  std::vector<int64_t> keep;
  constexpr int64_t kParallelSweep = 16384;  // below this a sweep is cheaper than waking threads
  for (int64_t i = 0; i < n; ++i) {
    if (suppressed[i]) continue;
    keep.push_back(order[i]);
    if (n - i - 1 >= kParallelSweep) {
      at::parallel_for(i + 1, n, kParallelSweep / 2, [&](int64_t b, int64_t e) {
        suppress_after(i, b, e, x1.data(), y1.data(), x2.data(), y2.data(), area.data(), threshold, suppressed.data());
      });
    } else {
      suppress_after(i, i + 1, n, x1.data(), y1.data(), x2.data(), y2.data(), area.data(), threshold,
                     suppressed.data());
    }
  }
  return keep;
}

/// Indices of `scores` by decreasing score; ties keep index order.
template <typename T>
std::vector<int64_t> score_order(const T* scores, int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return order;
}

void check_nms_inputs(const at::Tensor& boxes, const at::Tensor& scores, const char* op) {
  detail::check_boxes(boxes, op, "boxes");
  TORCH_CHECK(scores.defined() && scores.dim() == 1 && scores.size(0) == boxes.size(0), op,
              ": scores must be a [N] tensor with one score per box (N = ", boxes.size(0), "), got ",
              scores.defined() ? scores.sizes() : at::IntArrayRef{});
  TORCH_CHECK(scores.scalar_type() == boxes.scalar_type(), op, ": scores must have the dtype of boxes (",
              boxes.scalar_type(), "), got ", scores.scalar_type());
}

at::Tensor to_tensor(const std::vector<int64_t>& v) {
  return at::tensor(at::ArrayRef<int64_t>(v), at::TensorOptions().dtype(at::kLong));
}

at::Tensor nms_cpu(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  check_nms_inputs(boxes, scores, "nms");
  const auto b = boxes.contiguous();
  const auto s = scores.contiguous();
  std::vector<int64_t> keep;
  AT_DISPATCH_FLOATING_TYPES(b.scalar_type(), "nms", [&] {
    keep = nms_sorted<scalar_t>(b.data_ptr<scalar_t>(), score_order(s.data_ptr<scalar_t>(), b.size(0)),
                                static_cast<scalar_t>(iou_threshold));
  });
  return to_tensor(keep);
}

at::Tensor batched_nms_cpu(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& idxs,
                           double iou_threshold) {
  check_nms_inputs(boxes, scores, "batched_nms");
  TORCH_CHECK(idxs.defined() && idxs.dim() == 1 && idxs.size(0) == boxes.size(0) && !idxs.is_floating_point(),
              "batched_nms: idxs must be an integer [N] tensor with one category per box (N = ", boxes.size(0),
              "), got ", idxs.defined() ? idxs.sizes() : at::IntArrayRef{});
  const auto b = boxes.contiguous();
  const auto s = scores.contiguous();
  const auto c = idxs.to(at::kLong).contiguous();
  const int64_t n = b.size(0);
  std::vector<int64_t> keep;
  AT_DISPATCH_FLOATING_TYPES(b.scalar_type(), "batched_nms", [&] {
    const scalar_t* sp = s.data_ptr<scalar_t>();
    const int64_t* cp = c.data_ptr<int64_t>();
    // One global score order, split by category: each category's list stays in score order, and
    // categories never suppress each other. Categories run in parallel.
    const auto order = score_order(sp, n);
    std::vector<int64_t> categories(cp, cp + n);
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
    std::vector<std::vector<int64_t>> per_category(categories.size());
    for (int64_t i : order) {
      const auto at = std::lower_bound(categories.begin(), categories.end(), cp[i]) - categories.begin();
      per_category[at].push_back(i);
    }
    std::vector<std::vector<int64_t>> kept(categories.size());
    at::parallel_for(0, static_cast<int64_t>(categories.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k)
        kept[k] = nms_sorted<scalar_t>(b.data_ptr<scalar_t>(), per_category[k], static_cast<scalar_t>(iou_threshold));
    });
    for (const auto& v : kept) keep.insert(keep.end(), v.begin(), v.end());
    // Merged result in decreasing score, as torchvision returns it.
    std::stable_sort(keep.begin(), keep.end(), [&](int64_t a, int64_t b2) {
      return sp[a] > sp[b2] || (sp[a] == sp[b2] && a < b2);
    });
  });
  return to_tensor(keep);
}

at::Tensor box_iou_cpu(const at::Tensor& boxes1, const at::Tensor& boxes2) {
  detail::check_boxes(boxes1, "box_iou", "boxes1");
  detail::check_boxes(boxes2, "box_iou", "boxes2");
  TORCH_CHECK(boxes1.scalar_type() == boxes2.scalar_type(), "box_iou: boxes1 and boxes2 must share a dtype, got ",
              boxes1.scalar_type(), " and ", boxes2.scalar_type());
  const auto a = boxes1.contiguous();
  const auto b = boxes2.contiguous();
  const int64_t n = a.size(0), m = b.size(0);
  auto out = at::empty({n, m}, a.options());
  if (n == 0 || m == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "box_iou", [&] {
    const scalar_t* ap = a.data_ptr<scalar_t>();
    const scalar_t* bp = b.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, n, std::max<int64_t>(1, 4096 / m), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* p = ap + 4 * i;
        const scalar_t area_a = (p[2] - p[0]) * (p[3] - p[1]);
        for (int64_t j = 0; j < m; ++j) {
          const scalar_t* q = bp + 4 * j;
          const scalar_t w = std::max<scalar_t>(std::min(p[2], q[2]) - std::max(p[0], q[0]), 0);
          const scalar_t h = std::max<scalar_t>(std::min(p[3], q[3]) - std::max(p[1], q[1]), 0);
          const scalar_t inter = w * h;
          op[i * m + j] = inter / (area_a + (q[2] - q[0]) * (q[3] - q[1]) - inter);
        }
      }
    });
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CPU, m) {
  m.impl("nms", TORCH_FN(nms_cpu));
  m.impl("batched_nms", TORCH_FN(batched_nms_cpu));
  m.impl("box_iou", TORCH_FN(box_iou_cpu));
}

}  // namespace beyond::ops::cpu
