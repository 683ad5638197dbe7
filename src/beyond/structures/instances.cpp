#include "beyond/structures/instances.h"

#include <torch/torch.h>

#include "beyond/core/error.h"
#include "beyond/structures/tensor_checks.h"

namespace beyond {

namespace {
std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}
}  // namespace

Instances::Instances(int64_t height, int64_t width) : height_(height), width_(width) {
  BEYOND_CHECK(height >= 0 && width >= 0, "Instances: image size must be non-negative, got ", height, " x ", width);
}

int64_t Instances::find(const std::string& name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].first == name) return static_cast<int64_t>(i);
  }
  return -1;
}

void Instances::set(const std::string& name, torch::Tensor value) {
  BEYOND_CHECK(!name.empty(), "Instances::set: a field needs a name");
  BEYOND_CHECK(value.defined() && value.dim() >= 1, "Instances::set: field '", name,
               "' must be a tensor with the instances along dimension 0, got ", detail::describe(value));
  const int64_t at = find(name);
  const bool only_field = fields_.empty() || (fields_.size() == 1 && at == 0);
  if (!only_field) {
    const auto& ref = fields_[at == 0 ? 1 : 0];
    BEYOND_CHECK(value.size(0) == ref.second.size(0), "Instances::set: field '", name, "' has length ", value.size(0),
                 " but the instances have length ", ref.second.size(0), " (field '", ref.first,
                 "'); every field needs one entry per instance");
  }
  if (at >= 0) {
    fields_[at].second = std::move(value);
  } else {
    fields_.emplace_back(name, std::move(value));
  }
}

bool Instances::has(const std::string& name) const { return find(name) >= 0; }

const torch::Tensor& Instances::get(const std::string& name) const {
  const int64_t at = find(name);
  BEYOND_CHECK(at >= 0, "Instances: no field '", name, "' (fields: ", joined(field_names()), ")");
  return fields_[at].second;
}

void Instances::remove(const std::string& name) {
  const int64_t at = find(name);
  BEYOND_CHECK(at >= 0, "Instances::remove: no field '", name, "' (fields: ", joined(field_names()), ")");
  fields_.erase(fields_.begin() + at);
}

std::vector<std::string> Instances::field_names() const {
  std::vector<std::string> names;
  for (const auto& f : fields_) names.push_back(f.first);
  return names;
}

void Instances::set_scores(torch::Tensor scores) {
  BEYOND_CHECK(scores.defined() && scores.dim() == 1 && scores.is_floating_point(),
               "Instances::set_scores: scores must be a floating-point [N] tensor, got ", detail::describe(scores));
  set(kScores, std::move(scores));
}

void Instances::set_labels(torch::Tensor labels) {
  BEYOND_CHECK(
      labels.defined() && labels.dim() == 1 && !labels.is_floating_point() && labels.scalar_type() != torch::kBool,
      "Instances::set_labels: labels must be an integer [N] tensor, got ", detail::describe(labels));
  set(kLabels, labels.to(torch::kInt64));
}

void Instances::set_masks(torch::Tensor masks) {
  BEYOND_CHECK(masks.defined() && (masks.scalar_type() == torch::kBool || masks.scalar_type() == torch::kUInt8),
               "Instances::set_masks: masks must be bool or uint8, got ", detail::describe(masks));
  BEYOND_CHECK(masks.dim() == 3 && masks.size(1) == height_ && masks.size(2) == width_,
               "Instances::set_masks: masks must be [N, ", height_, ", ", width_, "] (the image size), got ",
               masks.sizes());
  set(kMasks, std::move(masks));
}

void Instances::set_keypoints(torch::Tensor keypoints) {
  BEYOND_CHECK(
      keypoints.defined() && keypoints.dim() == 3 && keypoints.size(2) == 3 && keypoints.scalar_type() != torch::kBool,
      "Instances::set_keypoints: keypoints must be [N, K, 3] (x, y, visibility), got ", detail::describe(keypoints));
  if (!keypoints.is_floating_point()) keypoints = keypoints.to(torch::kFloat32);
  set(kKeypoints, std::move(keypoints));
}

Instances Instances::operator[](const torch::Tensor& index) const {
  const auto idx = detail::as_row_index(index, size(), "Instances::operator[]");
  Instances out(height_, width_);
  for (const auto& [name, value] : fields_)
    out.fields_.emplace_back(name, value.index_select(0, idx.to(value.device())));
  return out;
}

Instances Instances::operator[](int64_t i) const {
  BEYOND_CHECK(i >= 0 && i < size(), "Instances::operator[]: index ", i, " is outside [0, ", size(), ")");
  Instances out(height_, width_);
  for (const auto& [name, value] : fields_) out.fields_.emplace_back(name, value.slice(0, i, i + 1));
  return out;
}

Instances Instances::cat(const std::vector<Instances>& parts) {
  BEYOND_CHECK(!parts.empty(), "Instances::cat: nothing to concatenate");
  const auto& first = parts.front();
  const auto names = first.field_names();
  Instances out(first.height_, first.width_);
  for (size_t p = 1; p < parts.size(); ++p) {
    BEYOND_CHECK(parts[p].image_size() == first.image_size(), "Instances::cat: part ", p, " is for a ",
                 parts[p].height_, " x ", parts[p].width_, " image, part 0 for ", first.height_, " x ", first.width_);
    BEYOND_CHECK(parts[p].field_names() == names, "Instances::cat: part ", p, " has fields (",
                 joined(parts[p].field_names()), "), part 0 has (", joined(names), ")");
  }
  for (const auto& name : names) {
    std::vector<torch::Tensor> values;
    for (const auto& part : parts) values.push_back(part.get(name));
    out.fields_.emplace_back(name, torch::cat(values, 0));
  }
  return out;
}

void Instances::set_image_size(int64_t height, int64_t width) {
  BEYOND_CHECK(height >= 0 && width >= 0, "Instances: image size must be non-negative, got ", height, " x ", width);
  height_ = height;
  width_ = width;
}

Instances Instances::to(const torch::Device& device) const {
  Instances out(height_, width_);
  for (const auto& [name, value] : fields_) out.fields_.emplace_back(name, value.to(device));
  return out;
}

}  // namespace beyond
