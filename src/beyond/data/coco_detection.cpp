#include "beyond/data/coco_detection.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/log.h"
#include "beyond/data/mask/rle.h"

namespace beyond::data {

namespace fs = std::filesystem;

CocoDetection::CocoDetection(CocoDetectionOptions options)
    : options_(std::move(options)), dataset_(coco::read_dataset(options_.annotation_file())) {
  for (const auto& c : dataset_.categories) category_ids_.push_back(c.id);
  std::sort(category_ids_.begin(), category_ids_.end());
  annotations_of_image_.resize(dataset_.images.size());
  for (size_t i = 0; i < dataset_.annotations.size(); ++i) {
    const auto& a = dataset_.annotations[i];
    const int64_t img = dataset_.image_index(a.image_id);
    BEYOND_CHECK(img >= 0, options_.annotation_file(), ": annotation ", a.id, " refers to missing image ", a.image_id);
    BEYOND_CHECK(a.keypoints.size() % 3 == 0, options_.annotation_file(), ": annotation ", a.id, " has ",
                 a.keypoints.size(), " keypoint values, not a multiple of 3 (x, y, v)");
    const double side = options_.min_box_side();
    if (options_.drop_degenerate_boxes() && !a.iscrowd && (a.bbox[2] <= side || a.bbox[3] <= side)) {
      dropped_ids_.push_back(a.id);
      continue;
    }
    annotations_of_image_[img].push_back(static_cast<int64_t>(i));
    num_keypoints_ = std::max(num_keypoints_, static_cast<int64_t>(a.keypoints.size() / 3));
  }
  if (!dropped_ids_.empty()) {
    std::string ids;
    for (size_t i = 0; i < std::min<size_t>(dropped_ids_.size(), 10); ++i) ids += (i ? ", " : "") + std::to_string(dropped_ids_[i]);
    log::warn(str(options_.annotation_file(), ": left out ", dropped_ids_.size(), " annotation(s) whose box has width or height <= ",
              options_.min_box_side(), " pixels (ids ", ids, dropped_ids_.size() > 10 ? ", ..." : "",
              "); a detector cannot learn from them"));
  }
}

int64_t CocoDetection::image_id(int64_t index) const {
  BEYOND_CHECK(index >= 0 && index < size(), "CocoDetection: index ", index, " is outside [0, ", size(), ")");
  return dataset_.images[index].id;
}

int64_t CocoDetection::label(int64_t category_id) const {
  const auto it = std::lower_bound(category_ids_.begin(), category_ids_.end(), category_id);
  BEYOND_CHECK(it != category_ids_.end() && *it == category_id, options_.annotation_file(), ": no category with id ",
               category_id);
  return (it - category_ids_.begin()) + 1;
}

int64_t CocoDetection::category_id(int64_t label) const {
  BEYOND_CHECK(label >= 1 && label <= num_classes(), "CocoDetection: label ", label, " is outside [1, ", num_classes(),
               "] (", options_.annotation_file(), ")");
  return category_ids_[label - 1];
}

Sample CocoDetection::get(int64_t index) const {
  const int64_t id = image_id(index);
  const auto& info = dataset_.images[index];
  const std::string path = (fs::path(options_.image_dir()) / info.file_name).string();
  Sample s;
  s.image = read_image(path);
  if (s.image.size(0) == 1) s.image = s.image.expand({3, -1, -1}).contiguous();
  const int64_t h = s.image.size(1), w = s.image.size(2);
  BEYOND_CHECK(h == info.height && w == info.width, path, " is ", h, " x ", w, " pixels but ",
               options_.annotation_file(), " says image ", id, " is ", info.height, " x ", info.width,
               " (height x width); fix the JSON or the image");

  const auto& anns = annotations_of_image_[index];
  const int64_t n = static_cast<int64_t>(anns.size());
  std::vector<float> boxes, keypoints(static_cast<size_t>(n * num_keypoints_ * 3), 0.f);
  std::vector<int64_t> labels;
  std::vector<uint8_t> iscrowd, masks;
  for (int64_t i = 0; i < n; ++i) {
    const auto& a = dataset_.annotations[anns[i]];
    const auto& b = a.bbox;
    for (double v : {b[0], b[1], b[0] + b[2], b[1] + b[3]}) boxes.push_back(static_cast<float>(v));
    labels.push_back(label(a.category_id));
    iscrowd.push_back(a.iscrowd ? 1 : 0);
    std::copy(a.keypoints.begin(), a.keypoints.end(), keypoints.begin() + i * num_keypoints_ * 3);
    if (options_.masks()) {
      const auto pixels = mask::decode(coco::to_rle(a, h, w));
      BEYOND_CHECK(static_cast<int64_t>(pixels.size()) == h * w, options_.annotation_file(), ": annotation ", a.id,
                   " decodes to ", pixels.size(), " pixels, expected ", h, " x ", w);
      masks.insert(masks.end(), pixels.begin(), pixels.end());
    }
  }
  const auto as_tensor = [](auto& values, std::vector<int64_t> shape, torch::ScalarType type) {
    return torch::from_blob(values.data(), shape, type).clone();
  };
  s.target = Instances(h, w);
  s.target.set_boxes(Boxes(as_tensor(boxes, {n, 4}, torch::kFloat32)));
  s.target.set_labels(as_tensor(labels, {n}, torch::kInt64));
  s.target.set("iscrowd", as_tensor(iscrowd, {n}, torch::kUInt8));
  if (options_.masks()) s.target.set_masks(as_tensor(masks, {n, h, w}, torch::kUInt8).to(torch::kBool));
  if (num_keypoints_ > 0) s.target.set_keypoints(as_tensor(keypoints, {n, num_keypoints_, 3}, torch::kFloat32));

  if (!options_.semantic_dir().empty()) {
    const std::string sem_path =
        (fs::path(options_.semantic_dir()) / fs::path(info.file_name).replace_extension(".png")).string();
    const auto sem = read_image(sem_path);
    BEYOND_CHECK(sem.size(0) == 1, sem_path, ": a semantic label map must be a single-channel PNG (class index per ",
                 "pixel), got ", sem.size(0), " channels");
    BEYOND_CHECK(sem.size(1) == h && sem.size(2) == w, sem_path, " is ", sem.size(1), " x ", sem.size(2),
                 " pixels but its image is ", h, " x ", w);
    s.semantic = sem[0];
  }
  s.validate(path);
  return s;
}

DetectionBatch collate(const std::vector<Sample>& samples, int64_t size_divisibility, double pad_value) {
  BEYOND_CHECK(!samples.empty(), "collate: no samples");
  std::vector<torch::Tensor> images;
  DetectionBatch batch;
  bool all_semantic = true;
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].validate(beyond::str("collate: sample ", i));
    images.push_back(samples[i].image);
    batch.targets.push_back(samples[i].target);
    all_semantic = all_semantic && samples[i].has_semantic();
  }
  batch.images = ImageList::from_tensors(images, size_divisibility, pad_value);
  if (all_semantic) {
    const auto& t = batch.images.tensor();
    batch.semantic = torch::full({t.size(0), t.size(2), t.size(3)}, kIgnoreLabel, torch::kInt64);
    for (size_t i = 0; i < samples.size(); ++i) {
      const auto& m = samples[i].semantic;
      batch.semantic[static_cast<int64_t>(i)].slice(0, 0, m.size(0)).slice(1, 0, m.size(1)).copy_(m);
    }
  }
  return batch;
}

}  // namespace beyond::data
