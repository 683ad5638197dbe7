#include "beyond/data/transforms/sample.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/structures/tensor_checks.h"

namespace beyond::data {

void Sample::validate(const std::string& where) const {
  BEYOND_CHECK(image.defined() && image.dim() == 3, where, ": the image must be [C, H, W], got ",
               beyond::detail::describe(image));
  BEYOND_CHECK(image.scalar_type() == torch::kUInt8 || image.is_floating_point(), where,
               ": the image must be uint8 or floating point, got ", image.scalar_type());
  const int64_t h = height(), w = width();
  BEYOND_CHECK(target.height() == h && target.width() == w, where, ": the target is for a ", target.height(), " x ",
               target.width(), " image but the image is ", h, " x ", w);
  if (target.has(Instances::kBoxes)) {
    const auto& b = target.get(Instances::kBoxes);
    BEYOND_CHECK(b.dim() == 2 && b.size(1) == 4 && b.is_floating_point(), where,
                 ": target boxes must be floating point [N, 4], got ", b.scalar_type(), " ", b.sizes());
  }
  if (target.has(Instances::kMasks)) {
    const auto& m = target.masks();
    BEYOND_CHECK(m.dim() == 3 && m.size(1) == h && m.size(2) == w, where, ": target masks must be [N, ", h, ", ", w,
                 "], got ", m.sizes());
    BEYOND_CHECK(m.scalar_type() == torch::kBool || m.scalar_type() == torch::kUInt8, where,
                 ": target masks must be bool or uint8, got ", m.scalar_type());
  }
  if (target.has(Instances::kKeypoints)) {
    const auto& k = target.keypoints();
    BEYOND_CHECK(k.dim() == 3 && k.size(2) == 3 && k.is_floating_point(), where,
                 ": target keypoints must be floating point [N, K, 3], got ", k.scalar_type(), " ", k.sizes());
  }
  if (semantic.defined()) {
    BEYOND_CHECK(semantic.dim() == 2 && semantic.size(0) == h && semantic.size(1) == w, where,
                 ": the semantic label map must be [", h, ", ", w, "] (the image size), got ", semantic.sizes());
    BEYOND_CHECK(!semantic.is_floating_point() && semantic.scalar_type() != torch::kBool, where,
                 ": the semantic label map must hold integer labels, got ", semantic.scalar_type());
  }
}

}  // namespace beyond::data
