#pragma once
/// The objects of one image (ground truth or predictions) as named tensor fields that all have the
/// same length N and are indexed together, after detectron2's Instances: selecting, filtering or
/// concatenating instances can never leave a box without its mask or its keypoints.
///
///   beyond::Instances gt(480, 640);
///   gt.set_boxes(beyond::Boxes(xyxy));          // [N, 4]
///   gt.set_labels(labels);                      // int64 [N]
///   gt.set_masks(masks);                        // bool / uint8 [N, 480, 640]
///   gt.set("iscrowd", iscrowd);                 // any other field: [N, ...]
///   beyond::Instances big = gt[gt.boxes().area() > 1024];   // every field filtered together
///
/// Common fields have typed accessors and checked setters; their names are the constants below
/// (torchvision's target names: "boxes", "labels", "scores", "masks", "keypoints"). A length that
/// disagrees with the other fields is an error naming both fields and both lengths.
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "beyond/structures/boxes.h"

namespace beyond {

class Instances {
 public:
  static constexpr const char* kBoxes = "boxes";          // float [N, 4] x1, y1, x2, y2
  static constexpr const char* kScores = "scores";        // float [N]
  static constexpr const char* kLabels = "labels";        // int64 [N] (contiguous class ids)
  static constexpr const char* kMasks = "masks";          // bool / uint8 [N, H, W], H x W = image size
  static constexpr const char* kKeypoints = "keypoints";  // float [N, K, 3] x, y, visibility (0, 1, 2)

  /// Instances of an image of height x width pixels, with no fields yet (length 0).
  Instances(int64_t height, int64_t width);
  /// Of a 0 x 0 image: a placeholder to assign to.
  Instances() = default;

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  std::array<int64_t, 2> image_size() const { return {height_, width_}; }
  /// N: the length every field shares (0 while there are no fields).
  int64_t size() const { return fields_.empty() ? 0 : fields_.front().second.size(0); }
  bool empty() const { return size() == 0; }

  /// Sets (adds or replaces) a field. `value` must have at least one dimension and, unless it is the
  /// only field, length size(). Replacing the only field may change the length.
  void set(const std::string& name, torch::Tensor value);
  bool has(const std::string& name) const;
  /// The field `name`; an error lists the fields there are.
  const torch::Tensor& get(const std::string& name) const;
  /// Removes `name` (an error if it is absent).
  void remove(const std::string& name);
  /// Field names in the order they were first set.
  std::vector<std::string> field_names() const;
  const std::vector<std::pair<std::string, torch::Tensor>>& fields() const { return fields_; }

  Boxes boxes() const { return Boxes(get(kBoxes)); }
  const torch::Tensor& scores() const { return get(kScores); }
  const torch::Tensor& labels() const { return get(kLabels); }
  const torch::Tensor& masks() const { return get(kMasks); }
  const torch::Tensor& keypoints() const { return get(kKeypoints); }
  void set_boxes(const Boxes& boxes) { set(kBoxes, boxes.tensor()); }
  /// Floating point [N].
  void set_scores(torch::Tensor scores);
  /// Integer [N]; stored as int64.
  void set_labels(torch::Tensor labels);
  /// Bool or uint8 [N, height, width].
  void set_masks(torch::Tensor masks);
  /// [N, K, 3] (x, y, visibility); stored as float32 unless already floating point.
  void set_keypoints(torch::Tensor keypoints);

  /// The instances selected by an int64 index tensor [M] or a bool mask [N], every field alike.
  Instances operator[](const torch::Tensor& index) const;
  /// Instance i alone (length 1).
  Instances operator[](int64_t i) const;

  /// Concatenation of instances of one image size with the same field names.
  static Instances cat(const std::vector<Instances>& parts);

  /// The same instances on another image size (fields untouched): for transforms that have already
  /// moved the fields.
  void set_image_size(int64_t height, int64_t width);

  Instances to(const torch::Device& device) const;

 private:
  int64_t find(const std::string& name) const;

  int64_t height_ = 0, width_ = 0;
  std::vector<std::pair<std::string, torch::Tensor>> fields_;
};

}  // namespace beyond
