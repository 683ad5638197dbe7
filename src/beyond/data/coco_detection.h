#pragma once
/// A detection / instance-segmentation / keypoint dataset over a COCO JSON file and its image folder:
/// each item is a Sample (image, Instances, optional semantic map) ready for the transforms, and
/// collate() turns a list of them into the padded batch a GeneralizedRCNN takes.
///
///   beyond::data::CocoDetection ds(beyond::data::CocoDetectionOptions("scenes/train.json", "scenes/train"));
///   beyond::data::Sample s = ds.get(0);        // image uint8 [3, H, W]; s.target: boxes, labels, masks ...
///   int64_t cat = ds.category_id(s.target.labels()[0].item<int64_t>());   // label -> COCO category id
///   auto batch = beyond::data::collate({ds.get(0), ds.get(1)});            // ImageList + targets
///
/// Target fields: boxes (xyxy, from COCO's xywh `bbox`), labels (contiguous 1..K: the categories
/// sorted by id; 0 is left for background), iscrowd (uint8), masks (bool [N, H, W], decoded from the
/// `segmentation` polygons / RLE, or the box where there is none, as COCO's annToRLE does; optional),
/// keypoints ([N, K, 3], present when any annotation of the file has keypoints; annotations without
/// any get all zeros). Annotations keep the file's order.
#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "beyond/data/formats/coco.h"
#include "beyond/data/transforms/sample.h"
#include "beyond/structures/image_list.h"

namespace beyond::data {

struct CocoDetectionOptions {
  CocoDetectionOptions(std::string annotation_file, std::string image_dir)
      : annotation_file_(std::move(annotation_file)), image_dir_(std::move(image_dir)) {}
  /// The COCO dataset JSON.
  TORCH_ARG(std::string, annotation_file);
  /// Folder that the images' `file_name`s are relative to.
  TORCH_ARG(std::string, image_dir);
  /// Optional folder of semantic label PNGs (single-channel, class per pixel, 255 = ignore) named as
  /// the image with a .png extension; empty: no semantic maps.
  TORCH_ARG(std::string, semantic_dir) = "";
  /// Decode instance masks (the costly part; off for box-only detectors).
  TORCH_ARG(bool, masks) = true;
  /// Leave out non-crowd annotations whose box has no area (width or height <= min_box_side pixels):
  /// a detector cannot regress onto them. One warning at load names them by annotation id.
  TORCH_ARG(bool, drop_degenerate_boxes) = false;
  TORCH_ARG(double, min_box_side) = 0.0;
};

class CocoDetection {
 public:
  explicit CocoDetection(CocoDetectionOptions options);

  int64_t size() const { return static_cast<int64_t>(dataset_.images.size()); }
  /// Image `index` (in the file's order) with its objects. Throws beyond::Error naming the image file
  /// if it cannot be read or its size differs from the JSON's width / height.
  Sample get(int64_t index) const;

  /// The COCO `id` of image `index`.
  int64_t image_id(int64_t index) const;
  /// Number of categories K (labels run 1..K).
  int64_t num_classes() const { return static_cast<int64_t>(category_ids_.size()); }
  /// Contiguous label (1..K) of a COCO category id, and back.
  int64_t label(int64_t category_id) const;
  int64_t category_id(int64_t label) const;
  /// Category ids in label order: category_ids()[l - 1] is label l's.
  const std::vector<int64_t>& category_ids() const { return category_ids_; }
  /// Keypoints per instance (0 when the file has none).
  int64_t num_keypoints() const { return num_keypoints_; }
  /// Ids of the annotations left out by drop_degenerate_boxes.
  const std::vector<int64_t>& dropped_annotation_ids() const { return dropped_ids_; }
  const coco::Dataset& dataset() const { return dataset_; }
  const CocoDetectionOptions& options() const { return options_; }

 private:
  CocoDetectionOptions options_;
  coco::Dataset dataset_;
  std::vector<int64_t> category_ids_;
  std::vector<std::vector<int64_t>> annotations_of_image_;  // annotation indices per image index
  int64_t num_keypoints_ = 0;
  std::vector<int64_t> dropped_ids_;
};

/// A batch for a detector: images padded into one tensor (ImageList), the targets (image sizes as in
/// the images), and, when every sample has one, the semantic maps padded with kIgnoreLabel
/// ([B, Hmax, Wmax] int64; undefined otherwise).
struct DetectionBatch {
  ImageList images;
  std::vector<Instances> targets;
  torch::Tensor semantic;
};

/// Batches samples (images of one dtype and channel count), padding to a multiple of
/// size_divisibility with pad_value.
DetectionBatch collate(const std::vector<Sample>& samples, int64_t size_divisibility = 32, double pad_value = 0);

}  // namespace beyond::data
