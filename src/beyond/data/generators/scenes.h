#pragma once
/// The `scenes` dataset: an offline, deterministic detection / instance-segmentation / keypoint
/// benchmark. Each image pastes Fashion-MNIST items (10 classes; tinted, rotated, scaled from a few
/// hundred pixels of area to a third of the image) and articulated stick figures (class 11,
/// "person", with COCO's 17 keypoints) over a cluttered procedural background, later objects
/// occluding earlier ones.
///
///   beyond::data::ScenesOptions options;
///   options.train(2000).val(200).test(200).size(320).seed(1);
///   beyond::data::generate_scenes(options, "data/scenes");
///
/// On disk (DIR = the output directory):
///   DIR/annotations/instances_{train,val,test}.json   COCO; categories 1..10 = Fashion-MNIST classes
///                                                     in label order, 11 = person (keypoints, skeleton)
///   DIR/{train,val,test}/images/NNNNNN.png            RGB; NNNNNN = the image id; file_name in the JSON
///                                                     is relative to DIR/<split>/images
///   DIR/{train,val,test}/labels/NNNNNN.png            uint8 semantic labels: 0 background, else the
///                                                     category id of the top-most object; 255 (ignore)
///                                                     on a 1-pixel border around objects only when
///                                                     options.ignore_border is on (off by default:
///                                                     objects are pasted with hard masks, so every
///                                                     pixel's class is exact)
///   DIR/scenes.json                                   the options that made it
///
/// The PNGs are written plainly (an fsync per file would make the disk the bottleneck); each split's
/// JSON is written atomically after all of its images, so an interrupted run leaves no annotation
/// file that points at missing images.
///
/// Annotations describe what is visible: an occluded object's mask, box and area are its uncovered
/// pixels (clipped to the image), and an object with less than `min_visible` of itself left (or
/// fewer than `min_area` pixels) is removed from the picture altogether, not merely unannotated.
/// Person keypoints: v = 2 visible, v = 1 inside the image but covered by a later object,
/// v = 0 (with x = y = 0) outside the image.
///
/// Determinism: image i of split s is drawn from its own generator seeded by (seed, s, i), so the
/// bytes are the same for the same options however many threads draw them. Sources are disjoint:
/// train uses Fashion-MNIST's training images, val the first half of its test images, test the second.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/arg.h>

#include "beyond/data/formats/coco.h"

namespace beyond::data {

struct ScenesOptions {
  /// Throws beyond::UsageError naming the bad option.
  void validate() const;
  /// The options as JSON (what DIR/scenes.json holds).
  std::string to_json() const;

  /// Images per split.
  TORCH_ARG(int64_t, train) = 3000;
  TORCH_ARG(int64_t, val) = 300;
  TORCH_ARG(int64_t, test) = 300;
  /// Images are size x size pixels.
  TORCH_ARG(int64_t, size) = 320;
  TORCH_ARG(uint64_t, seed) = 0;
  /// Fashion-MNIST items per image (uniform in [min_items, max_items]) before occlusion culling.
  TORCH_ARG(int64_t, min_items) = 3;
  TORCH_ARG(int64_t, max_items) = 9;
  /// Stick figures per image (uniform in [0, max_persons]).
  TORCH_ARG(int64_t, max_persons) = 2;
  /// An object keeps at least this fraction of its pixels visible, else it is removed.
  TORCH_ARG(double, min_visible) = 0.3;
  /// ... and at least this many pixels.
  TORCH_ARG(int64_t, min_area) = 24;
  /// An item pixel belongs to the item's silhouette where its (scaled) intensity exceeds this, in [0, 1]
  /// (holes enclosed by the silhouette are filled).
  TORCH_ARG(double, item_threshold) = 0.12;
  /// Write 255 (ignore) on a 1-pixel border around objects in the semantic labels.
  TORCH_ARG(bool, ignore_border) = false;
  /// Where the Fashion-MNIST IDX files are.
  TORCH_ARG(std::string, fashion_mnist_dir) = "/usr/share/datasets/fashion-mnist";
  /// Worker threads (0 = one per core).
  TORCH_ARG(int64_t, threads) = 0;
};

/// The split names, in the order they are written.
const std::vector<std::string>& scene_splits();
/// The 11 categories (10 Fashion-MNIST classes, then person with its keypoints and skeleton).
std::vector<coco::Category> scene_categories();
inline constexpr int64_t kPersonCategory = 11;

/// Fashion-MNIST items one split draws from.
struct ItemPool {
  std::vector<uint8_t> pixels;  ///< [n, 28, 28] grey
  std::vector<int64_t> labels;  ///< [n] in 0..9
  std::string source;           ///< "train" or "test": the Fashion-MNIST file the items come from
  std::vector<int64_t> source_index;  ///< [n] index of each item in that file
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

/// The pools of the three splits (train: Fashion-MNIST train; val / test: the two halves of
/// Fashion-MNIST test), in scene_splits() order. `limit` > 0 keeps the first `limit` items of each
/// (tests use it to load faster).
std::vector<ItemPool> load_item_pools(const std::string& fashion_mnist_dir, int64_t limit = 0);

/// One annotated object of a rendered scene.
struct SceneObject {
  int64_t category_id = 0;        ///< 1..10 Fashion-MNIST label + 1, 11 person
  std::vector<uint8_t> mask;      ///< [height, width] 0/1, the visible pixels
  std::vector<double> keypoints;  ///< persons: 17 x (x, y, v); empty otherwise
  int64_t source_index = -1;      ///< the item's index in its Fashion-MNIST file; -1 for persons
  int64_t full_area = 0;          ///< pixels of the whole silhouette, before occlusion and clipping
};

/// One rendered image with its annotations.
struct Scene {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;     ///< [height, width, 3]
  std::vector<uint8_t> labels;  ///< [height, width] semantic labels as written to labels/*.png
  std::vector<SceneObject> objects;  ///< bottom to top
};

/// Renders image `index` of split `split` (an index into scene_splits()) from `pool`.
Scene render_scene(const ItemPool& pool, const ScenesOptions& options, int64_t split, int64_t index);

/// COCO annotations of a scene (ids 0 and image_id 0: the caller numbers them): masks as compressed
/// RLE, boxes and areas from the masks, keypoints with num_keypoints.
std::vector<coco::Annotation> scene_annotations(const Scene& scene);

struct ScenesSummary {
  std::array<int64_t, 3> images{}, objects{};
  double seconds = 0;
};

/// Writes the whole dataset under `out_dir` (layout above), images in parallel. Throws beyond::Error
/// naming the directory if it cannot be written, beyond::UsageError for bad options.
ScenesSummary generate_scenes(const ScenesOptions& options, const std::string& out_dir);

}  // namespace beyond::data
