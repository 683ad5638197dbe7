// The `scenes` generator: determinism, agreement of images, masks, boxes, areas, semantic labels and
// keypoints, the spread of object sizes, disjoint sources between splits, and bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/data/fashion_mnist.h"
#include "beyond/data/formats/coco.h"
#include "beyond/data/generators/scenes.h"
#include "beyond/data/mask/rle.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace beyond::data {
namespace {
namespace fs = std::filesystem;

/// Item pools shared by the tests (loading Fashion-MNIST once).
const std::vector<ItemPool>& pools() {
  static const std::vector<ItemPool> p = load_item_pools(kFashionMnistDir, 2000);
  return p;
}

ScenesOptions small_options() { return ScenesOptions().train(3).val(2).test(2).size(128).seed(7).threads(2); }

/// Every file under `dir`, relative path -> bytes.
std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  return files;
}

TEST(Scenes, SameSeedSameSceneOtherIndexOtherScene) {
  const ScenesOptions options = ScenesOptions().size(160).seed(3);
  const Scene a = render_scene(pools()[1], options, 1, 5), b = render_scene(pools()[1], options, 1, 5);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_EQ(a.labels, b.labels);
  ASSERT_EQ(a.objects.size(), b.objects.size());
  const Scene c = render_scene(pools()[1], options, 1, 6);
  EXPECT_NE(a.rgb, c.rgb);
  const Scene d = render_scene(pools()[1], ScenesOptions(options).seed(4), 1, 5);
  EXPECT_NE(a.rgb, d.rgb);
}

TEST(Scenes, MasksLabelsAndKeypointsAgree) {
  const ScenesOptions options = ScenesOptions().size(192).seed(11).max_persons(3);
  int64_t hidden = 0, visible = 0, outside = 0, persons = 0, partly_hidden = 0;
  for (int64_t index = 0; index < 24; ++index) {
    const Scene scene = render_scene(pools()[0], options, 0, index);
    const size_t pixels = static_cast<size_t>(scene.height * scene.width);
    ASSERT_EQ(scene.rgb.size(), pixels * 3);
    ASSERT_EQ(scene.labels.size(), pixels);
    // Masks are disjoint and exactly cover the labelled pixels, with the right category.
    std::vector<int> owner(pixels, -1);
    for (size_t i = 0; i < scene.objects.size(); ++i) {
      const SceneObject& o = scene.objects[i];
      ASSERT_EQ(o.mask.size(), pixels);
      ASSERT_GE(o.category_id, 1);
      ASSERT_LE(o.category_id, kPersonCategory);
      int64_t area = 0;
      for (size_t p = 0; p < pixels; ++p) {
        if (!o.mask[p]) continue;
        ++area;
        ASSERT_EQ(owner[p], -1) << "masks of objects " << owner[p] << " and " << i << " overlap";
        owner[p] = static_cast<int>(i);
        ASSERT_EQ(scene.labels[p], o.category_id);
      }
      EXPECT_GE(area, options.min_area());
      // Objects occluded (or clipped) beyond min_visible were removed.
      EXPECT_GE(static_cast<double>(area), options.min_visible() * static_cast<double>(o.full_area));
      EXPECT_LE(area, o.full_area);
      if (area < o.full_area) ++partly_hidden;
    }
    for (size_t p = 0; p < pixels; ++p)
      if (owner[p] < 0) {
        ASSERT_EQ(scene.labels[p], 0);
      }
    // Keypoints: honest visibility.
    for (size_t i = 0; i < scene.objects.size(); ++i) {
      const SceneObject& o = scene.objects[i];
      if (o.category_id != kPersonCategory) {
        EXPECT_TRUE(o.keypoints.empty());
        continue;
      }
      ++persons;
      ASSERT_EQ(o.keypoints.size(), 51u);
      for (size_t k = 0; k < 17; ++k) {
        const double x = o.keypoints[3 * k], y = o.keypoints[3 * k + 1], v = o.keypoints[3 * k + 2];
        if (v == 0) {
          EXPECT_EQ(x, 0);
          EXPECT_EQ(y, 0);
          ++outside;
          continue;
        }
        ASSERT_GE(x, 0);
        ASSERT_GE(y, 0);
        ASSERT_LT(x, scene.width);
        ASSERT_LT(y, scene.height);
        const size_t p = static_cast<size_t>(y) * scene.width + static_cast<size_t>(x);
        if (v == 2) {
          EXPECT_EQ(owner[p], static_cast<int>(i)) << "visible keypoint " << k << " not on its person";
          ++visible;
        } else {
          ASSERT_EQ(v, 1);
          EXPECT_GT(owner[p], static_cast<int>(i)) << "hidden keypoint " << k << " is not under a later object";
          ++hidden;
        }
      }
    }
  }
  EXPECT_GT(persons, 5);
  EXPECT_GT(partly_hidden, 24) << "too few occluded or clipped objects to test occlusion";
  EXPECT_GT(visible, 0);
  EXPECT_GT(hidden, 0) << "no occluded keypoint in 24 scenes: occlusion is not exercised";
  EXPECT_GT(outside, 0) << "no keypoint outside the image in 24 scenes: truncation is not exercised";
}

TEST(Scenes, ObjectSizesCoverSmallMediumAndLarge) {
  const ScenesOptions options = ScenesOptions().size(320).seed(5);
  std::array<int64_t, 3> counts{};
  for (int64_t index = 0; index < 30; ++index) {
    const Scene scene = render_scene(pools()[2], options, 2, index);
    for (const coco::Annotation& a : scene_annotations(scene))
      ++counts[a.area < 32 * 32 ? 0 : a.area <= 96 * 96 ? 1 : 2];
  }
  const double total = static_cast<double>(counts[0] + counts[1] + counts[2]);
  ASSERT_GT(total, 100);
  for (int i = 0; i < 3; ++i) EXPECT_GT(counts[i] / total, 0.15) << "size bucket " << i << " of small/medium/large " << counts[0] << "/" << counts[1] << "/" << counts[2];
}

TEST(Scenes, SplitsDrawFromDisjointItems) {
  ASSERT_EQ(pools().size(), 3u);
  EXPECT_EQ(pools()[0].source, "train");
  EXPECT_EQ(pools()[1].source, "test");
  EXPECT_EQ(pools()[2].source, "test");
  const std::set<int64_t> val(pools()[1].source_index.begin(), pools()[1].source_index.end());
  for (int64_t i : pools()[2].source_index) ASSERT_EQ(val.count(i), 0u) << "item " << i << " is in val and test";
  // And the rendered scenes use their own split's items only.
  const ScenesOptions options = ScenesOptions().size(128);
  std::set<std::pair<std::string, int64_t>> used[3];
  for (int64_t s = 0; s < 3; ++s) {
    const std::set<int64_t> own(pools()[s].source_index.begin(), pools()[s].source_index.end());
    for (int64_t index = 0; index < 8; ++index)
      for (const SceneObject& o : render_scene(pools()[s], options, s, index).objects) {
        if (o.category_id == kPersonCategory) continue;
        ASSERT_EQ(own.count(o.source_index), 1u);
        used[s].insert({pools()[s].source, o.source_index});
      }
    EXPECT_FALSE(used[s].empty());
  }
  for (int a = 0; a < 3; ++a)
    for (int b = a + 1; b < 3; ++b)
      for (const auto& item : used[a]) EXPECT_EQ(used[b].count(item), 0u);
}

TEST(Scenes, IgnoreBorderMarksOnlyBoundaries) {
  const ScenesOptions options = ScenesOptions().size(128).seed(2).ignore_border(true);
  const Scene with = render_scene(pools()[1], options, 1, 0);
  const Scene without = render_scene(pools()[1], ScenesOptions(options).ignore_border(false), 1, 0);
  EXPECT_EQ(with.rgb, without.rgb);
  int64_t border = 0;
  const int64_t w = with.width;
  for (int64_t y = 0; y < with.height; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const size_t p = static_cast<size_t>(y * w + x);
      if (with.labels[p] != 255) {
        EXPECT_EQ(with.labels[p], without.labels[p]);
        continue;
      }
      ++border;
      // A border pixel has a 4-neighbour of another class or another object.
      bool differs = false;
      for (const auto& [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int64_t nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= with.height) continue;
        const size_t q = static_cast<size_t>(ny * w + nx);
        for (const SceneObject& o : without.objects) differs = differs || o.mask[p] != o.mask[q];
      }
      EXPECT_TRUE(differs) << "255 at (" << x << ", " << y << ") away from any boundary";
    }
  }
  EXPECT_GT(border, 0);
}

TEST(Scenes, WrittenDatasetIsValidCocoAndByteForByteReproducible) {
  test::TempDir dir;
  const ScenesOptions options = small_options().fashion_mnist_dir(kFashionMnistDir);
  const ScenesSummary summary = generate_scenes(options, dir / "a");
  generate_scenes(ScenesOptions(options).threads(1), dir / "b");
  const auto a = all_files(dir / "a"), b = all_files(dir / "b");
  ASSERT_EQ(a.size(), 2u * (3 + 2 + 2) + 3 + 1);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_EQ(b.count(name), 1u) << name;
    EXPECT_TRUE(bytes == b.at(name)) << name << " differs between two runs with the same seed";
  }
  EXPECT_EQ(summary.images[0], 3);

  for (const std::string split : {"train", "val", "test"}) {
    const coco::Dataset gt = coco::read_dataset(dir / ("a/annotations/instances_" + split + ".json"));
    ASSERT_EQ(gt.categories.size(), 11u);
    EXPECT_EQ(gt.categories[0].name, class_names()[0]);
    EXPECT_EQ(gt.categories[9].id, 10);
    EXPECT_EQ(gt.categories[10].name, "person");
    EXPECT_EQ(gt.categories[10].keypoints.size(), 17u);
    EXPECT_EQ(gt.categories[10].keypoints[5], "left_shoulder");
    EXPECT_EQ(gt.categories[10].skeleton.size(), 19u);
    for (const coco::Image& image : gt.images) {
      const std::string base = dir / ("a/" + split);
      const torch::Tensor rgb = read_image(base + "/images/" + image.file_name);
      EXPECT_EQ(rgb.sizes(), (std::vector<int64_t>{3, 128, 128}));
      const torch::Tensor labels = read_image(base + "/labels/" + image.file_name);
      ASSERT_EQ(labels.sizes(), (std::vector<int64_t>{1, 128, 128}));
      const uint8_t* label = labels.data_ptr<uint8_t>();
      std::vector<int64_t> covered(128 * 128, 0);
      for (const coco::Annotation& ann : gt.annotations) {
        if (ann.image_id != image.id) continue;
        ASSERT_EQ(ann.segmentation.kind, coco::Segmentation::Kind::CompressedRle) << "annotation " << ann.id;
        const mask::Box box = mask::to_box(ann.segmentation.rle);
        for (int k = 0; k < 4; ++k) EXPECT_EQ(ann.bbox[k], box[k]) << "annotation " << ann.id;
        EXPECT_EQ(ann.area, static_cast<double>(mask::area(ann.segmentation.rle))) << "annotation " << ann.id;
        EXPECT_FALSE(ann.iscrowd);
        const std::vector<uint8_t> m = mask::decode(ann.segmentation.rle);
        for (size_t p = 0; p < m.size(); ++p) {
          if (!m[p]) continue;
          ++covered[p];
          EXPECT_EQ(label[p], ann.category_id) << "annotation " << ann.id << " pixel " << p;
        }
        if (ann.category_id == kPersonCategory) {
          ASSERT_EQ(ann.keypoints.size(), 51u);
          int64_t labelled = 0;
          for (size_t k = 2; k < 51; k += 3) labelled += ann.keypoints[k] > 0;
          EXPECT_EQ(ann.num_keypoints, labelled);
        }
      }
      for (size_t p = 0; p < covered.size(); ++p) {
        ASSERT_LE(covered[p], 1);
        if (!covered[p]) {
          ASSERT_EQ(label[p], 0) << "pixel " << p << " labelled but in no mask";
        }
      }
    }
  }
  const std::string settings = read_file(dir / "a/scenes.json");
  EXPECT_NE(settings.find("\"seed\": 7"), std::string::npos) << settings;
}

TEST(Scenes, BadOptionsAreUsageErrors) {
  test::TempDir dir;
  const auto usage = [&](const ScenesOptions& o) {
    try {
      generate_scenes(o, dir / "out");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(usage(small_options().size(10)).find("--size must be in [64, 4096]"), std::string::npos);
  EXPECT_NE(usage(small_options().train(-1)).find("image counts must be >= 0"), std::string::npos);
  EXPECT_NE(usage(small_options().train(0).val(0).test(0)).find("nothing to generate"), std::string::npos);
  EXPECT_NE(usage(small_options().min_visible(1.5)).find("min_visible"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out")) << "bad options must be refused before anything is written";
}

TEST(Scenes, UnwritableOutputNamesTheDirectory) {
  test::TempDir dir;
  write_file_atomic(dir / "blocker", "a file where a directory should be");
  const std::string message = test::error_of([&] { generate_scenes(small_options(), dir / "blocker/scenes"); });
  EXPECT_NE(message.find("blocker"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot create output directory"), std::string::npos) << message;
}

}  // namespace
}  // namespace beyond::data
