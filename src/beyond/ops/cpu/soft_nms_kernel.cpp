// Soft-NMS (Bodla et al., ICCV 2017): instead of discarding every box that overlaps a selected one,
// decay its score, linearly (s *= 1 - IoU above the threshold) or with a Gaussian (s *= exp(-IoU^2 /
// sigma)); boxes whose score falls below score_threshold are dropped. "hard" is classic NMS expressed
// the same way. O(N^2) like NMS; each selection step sweeps the remaining boxes.
#include <ATen/ATen.h>
#include <torch/library.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "beyond/ops/checks.h"

namespace beyond::ops::cpu {
namespace {

enum class Decay { Linear, Gaussian, Hard };

Decay parse_method(const std::string& method) {
  if (method == "linear") return Decay::Linear;
  if (method == "gaussian") return Decay::Gaussian;
  if (method == "hard") return Decay::Hard;
  TORCH_CHECK(false, "soft_nms: method must be 'linear', 'gaussian' or 'hard', got '", method, "'");
}

template <typename T>
T iou(const T* a, const T* b) {
  const T w = std::max<T>(std::min(a[2], b[2]) - std::max(a[0], b[0]), 0);
  const T h = std::max<T>(std::min(a[3], b[3]) - std::max(a[1], b[1]), 0);
  const T inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

template <typename T>
void soft_nms_impl(const T* boxes, std::vector<T> scores, T iou_threshold, T sigma, T score_threshold, Decay decay,
                   std::vector<int64_t>& keep, std::vector<T>& kept_scores) {
  std::vector<int64_t> remaining;
  for (int64_t i = 0; i < static_cast<int64_t>(scores.size()); ++i)
    if (scores[i] >= score_threshold) remaining.push_back(i);
  while (!remaining.empty()) {
    // The best remaining box; ties go to the lower index, as in nms.
    size_t best = 0;
    for (size_t r = 1; r < remaining.size(); ++r)
      if (scores[remaining[r]] > scores[remaining[best]] ||
          (scores[remaining[r]] == scores[remaining[best]] && remaining[r] < remaining[best]))
        best = r;
    const int64_t m = remaining[best];
    keep.push_back(m);
    kept_scores.push_back(scores[m]);
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best));
    size_t out = 0;
    for (int64_t i : remaining) {
      const T o = iou(boxes + 4 * m, boxes + 4 * i);
      T& s = scores[i];
      if (decay == Decay::Gaussian) {
        s *= std::exp(-(o * o) / sigma);
      } else if (o > iou_threshold) {
        s = decay == Decay::Linear ? s * (1 - o) : T(0);
      }
      if (s >= score_threshold && !(decay == Decay::Hard && s == 0)) remaining[out++] = i;
    }
    remaining.resize(out);
  }
}

std::tuple<at::Tensor, at::Tensor> soft_nms_cpu(const at::Tensor& boxes, const at::Tensor& scores,
                                                double iou_threshold, double sigma, double score_threshold,
                                                c10::string_view method) {
  detail::check_boxes(boxes, "soft_nms", "boxes");
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0) && scores.scalar_type() == boxes.scalar_type(),
              "soft_nms: scores must be a [N] tensor of the boxes' dtype with N = ", boxes.size(0), ", got ",
              scores.scalar_type(), " ", scores.sizes());
  TORCH_CHECK(sigma > 0, "soft_nms: sigma must be positive, got ", sigma);
  const Decay decay = parse_method(std::string(method));
  const auto b = boxes.contiguous();
  const auto s = scores.contiguous();
  std::vector<int64_t> keep;
  at::Tensor kept;
  AT_DISPATCH_FLOATING_TYPES(b.scalar_type(), "soft_nms", [&] {
    std::vector<scalar_t> kept_scores;
    const scalar_t* sp = s.data_ptr<scalar_t>();
    soft_nms_impl<scalar_t>(b.data_ptr<scalar_t>(), std::vector<scalar_t>(sp, sp + s.numel()),
                            static_cast<scalar_t>(iou_threshold), static_cast<scalar_t>(sigma),
                            static_cast<scalar_t>(score_threshold), decay, keep, kept_scores);
    kept = at::tensor(at::ArrayRef<scalar_t>(kept_scores), s.options());
  });
  return {at::tensor(at::ArrayRef<int64_t>(keep), at::TensorOptions().dtype(at::kLong)), kept};
}

}  // namespace

TORCH_LIBRARY_IMPL(beyond, CPU, m) { m.impl("soft_nms", TORCH_FN(soft_nms_cpu)); }

}  // namespace beyond::ops::cpu
