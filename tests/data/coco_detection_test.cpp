#include "beyond/data/coco_detection.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "beyond/core/image.h"
#include "beyond/data/mask/rle.h"
#include "beyond/data/transforms/normalize.h"
#include "beyond/data/transforms/random_horizontal_flip.h"
#include "beyond/data/transforms/resize.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

using beyond::data::CocoDetection;
using beyond::data::CocoDetectionOptions;
using beyond::test::error_of;

namespace {

/// A known 16 x 20 mask: rows 3..8, columns 4..11, minus one pixel.
torch::Tensor known_mask() {
  auto m = torch::zeros({16, 20}, torch::kUInt8);
  m.slice(0, 3, 9).slice(1, 4, 12).fill_(1);
  m[5][6] = 0;
  return m;
}

/// Two images (colour 16 x 20, grey 12 x 10), categories 9, 3, 5 (labels 3, 1, 2), annotations with
/// a polygon, a compressed RLE, an uncompressed crowd RLE and keypoints.
struct TinyCoco {
  beyond::test::TempDir dir;
  std::string json;
  TinyCoco(int64_t second_height = 12) {
    std::filesystem::create_directories(dir.path() / "images");
    std::filesystem::create_directories(dir.path() / "semantic");
    beyond::write_image(dir / "images/a.png", torch::randint(0, 256, {3, 16, 20}, torch::kUInt8));
    beyond::write_image(dir / "images/b.png", torch::full({1, second_height, 10}, 77, torch::kUInt8));
    auto sem_a = torch::zeros({1, 16, 20}, torch::kUInt8);
    sem_a[0][0][0] = 255;
    sem_a[0][4][5] = 2;
    beyond::write_image(dir / "semantic/a.png", sem_a);
    beyond::write_image(dir / "semantic/b.png", torch::ones({1, second_height, 10}, torch::kUInt8));
    const auto mk = known_mask();
    const auto rle = beyond::mask::encode(mk.data_ptr<uint8_t>(), 16, 20);
    const std::string counts = beyond::mask::to_string(rle);
    json = R"({
      "images": [{"id": 7, "file_name": "a.png", "width": 20, "height": 16},
                 {"id": 8, "file_name": "b.png", "width": 10, "height": 12}],
      "categories": [{"id": 9, "name": "nine"}, {"id": 3, "name": "three"},
                     {"id": 5, "name": "person", "keypoints": ["l", "r", "c"], "skeleton": [[1, 2]]}],
      "annotations": [
        {"id": 1, "image_id": 7, "category_id": 9, "bbox": [2, 2, 6, 4], "area": 24, "iscrowd": 0,
         "segmentation": [[2, 2, 8, 2, 8, 6, 2, 6]]},
        {"id": 2, "image_id": 7, "category_id": 3, "bbox": [4, 3, 8, 6], "area": 47, "iscrowd": 0,
         "segmentation": {"size": [16, 20], "counts": ")" +
           counts + R"("}},
        {"id": 3, "image_id": 8, "category_id": 5, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0,
         "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]],
         "keypoints": [2, 3, 2, 5, 3, 1, 0, 0, 0], "num_keypoints": 2},
        {"id": 4, "image_id": 8, "category_id": 3, "bbox": [0, 0, 2, 12], "area": 24, "iscrowd": 1,
         "segmentation": {"size": [12, 10], "counts": [0, 24, 96]}}
      ]})";
    std::ofstream(dir / "ann.json") << json;
  }
  CocoDetectionOptions options() const { return CocoDetectionOptions(dir / "ann.json", dir / "images"); }
};

}  // namespace

TEST(CocoDetection, YieldsSamplesWithConvertedAnnotations) {
  TinyCoco coco;
  const CocoDetection ds(coco.options().semantic_dir(coco.dir / "semantic"));
  ASSERT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.num_classes(), 3);
  EXPECT_EQ(ds.category_ids(), (std::vector<int64_t>{3, 5, 9}));
  EXPECT_EQ(ds.label(9), 3);
  EXPECT_EQ(ds.category_id(1), 3);
  EXPECT_EQ(ds.num_keypoints(), 3);
  EXPECT_EQ(ds.image_id(1), 8);
  EXPECT_NE(error_of([&] { ds.label(4); }).find("no category with id 4"), std::string::npos);

  const auto a = ds.get(0);
  EXPECT_EQ(a.image.sizes(), (std::vector<int64_t>{3, 16, 20}));
  EXPECT_TRUE(torch::equal(a.image, beyond::read_image(coco.dir / "images/a.png")));
  EXPECT_TRUE(torch::equal(a.target.get("boxes"), torch::tensor({{2., 2., 8., 6.}, {4., 3., 12., 9.}})));
  EXPECT_TRUE(torch::equal(a.target.labels(), torch::tensor({3, 1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(a.target.get("iscrowd"), torch::tensor({0, 0}, torch::kUInt8)));
  // The compressed RLE decodes to exactly the mask it was made from (row-major, not transposed).
  EXPECT_TRUE(torch::equal(a.target.masks()[1].to(torch::kUInt8), known_mask()));
  // The polygon's mask covers its rectangle (COCO's rasteriser: about 6 x 4 pixels).
  const auto poly = a.target.masks()[0];
  EXPECT_NEAR(poly.sum().item<double>(), 24, 12);
  EXPECT_TRUE(poly[4][5].item<bool>());
  EXPECT_FALSE(poly[10][15].item<bool>());
  EXPECT_EQ(a.semantic[0][0].item<int64_t>(), 255);
  EXPECT_EQ(a.semantic[4][5].item<int64_t>(), 2);
  EXPECT_EQ(a.target.keypoints().sizes(), (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(a.target.keypoints().abs().sum().item<double>(), 0);  // no keypoints in image 7

  const auto b = ds.get(1);  // the grey image comes as 3 channels
  EXPECT_EQ(b.image.sizes(), (std::vector<int64_t>{3, 12, 10}));
  EXPECT_EQ(b.image[2][5][5].item<int64_t>(), 77);
  EXPECT_TRUE(torch::equal(b.target.keypoints()[0], torch::tensor({{2., 3., 2.}, {5., 3., 1.}, {0., 0., 0.}})));
  EXPECT_TRUE(torch::equal(b.target.get("iscrowd"), torch::tensor({0, 1}, torch::kUInt8)));
  // Uncompressed crowd RLE, column-major: the first 24 pixels are the first two columns.
  const auto crowd = b.target.masks()[1];
  EXPECT_EQ(crowd.sum().item<int64_t>(), 24);
  EXPECT_TRUE(crowd.slice(1, 0, 2).all().item<bool>());

  // The samples feed the transforms directly.
  auto gen = beyond::data::transforms::make_generator(0);
  auto flipped = beyond::data::transforms::RandomHorizontalFlip(
      beyond::data::transforms::RandomHorizontalFlipOptions().p(1).flip_map({1, 0, 2}))(b, gen);
  EXPECT_TRUE(torch::equal(flipped.target.keypoints()[0][0], torch::tensor({5., 3., 1.})));
}

TEST(CocoDetection, CollatePadsImagesAndSemanticMaps) {
  TinyCoco coco;
  const CocoDetection ds(coco.options().semantic_dir(coco.dir / "semantic"));
  const auto batch = beyond::data::collate({ds.get(0), ds.get(1)}, 32);
  EXPECT_EQ(batch.images.tensor().sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_EQ(batch.images.image_size(1), (std::array<int64_t, 2>{12, 10}));
  ASSERT_EQ(batch.targets.size(), 2u);
  EXPECT_EQ(batch.targets[1].size(), 2);
  EXPECT_EQ(batch.semantic.sizes(), (std::vector<int64_t>{2, 32, 32}));
  EXPECT_EQ(batch.semantic[1][11][9].item<int64_t>(), 1);
  EXPECT_EQ(batch.semantic[1][12][9].item<int64_t>(), 255);
  EXPECT_EQ(batch.semantic[1][0][10].item<int64_t>(), 255);
  // Without semantic maps, no semantic batch; without masks, no masks field.
  const CocoDetection plain(coco.options().masks(false));
  const auto b2 = beyond::data::collate({plain.get(0)});
  EXPECT_FALSE(b2.semantic.defined());
  EXPECT_FALSE(b2.targets[0].has("masks"));
}

TEST(CocoDetection, ImageSizeMismatchNamesTheFile) {
  TinyCoco coco(/*second_height=*/13);
  const CocoDetection ds(coco.options());
  const auto msg = error_of([&] { ds.get(1); });
  EXPECT_NE(msg.find("b.png is 13 x 10 pixels"), std::string::npos) << msg;
  EXPECT_NE(msg.find("image 8 is 12 x 10"), std::string::npos) << msg;
  std::filesystem::remove(coco.dir / "images/a.png");
  EXPECT_NE(error_of([&] { ds.get(0); }).find("a.png"), std::string::npos);
}

TEST(CocoDetection, MasksAndBoxesStayTogetherThroughAPipeline) {
  namespace T = beyond::data::transforms;
  TinyCoco coco;
  const CocoDetection ds(coco.options().semantic_dir(coco.dir / "semantic"));
  const T::Compose pipeline(
      {std::make_shared<T::RandomHorizontalFlip>(T::RandomHorizontalFlipOptions().p(1).flip_map({1, 0, 2})),
       std::make_shared<T::Resize>(T::ResizeOptions({24}, 0)), std::make_shared<T::Normalize>()});
  auto gen = T::make_generator(3);
  const auto s = pipeline(ds.get(0), gen);
  ASSERT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 24, 30}));
  EXPECT_EQ(s.image.scalar_type(), torch::kFloat32);
  // Annotation 2 (box = its mask's tight box, 4, 3, 12, 9): flipped on width 20, then scaled by 1.5.
  EXPECT_TRUE(torch::allclose(s.target.get("boxes")[1], torch::tensor({12., 4.5, 24., 13.5})));
  const auto m = s.target.masks()[1];
  const auto rows = m.any(1).nonzero(), cols = m.any(0).nonzero();
  // The mask's tight box (nearest resize) is within half a pixel of the box.
  EXPECT_NEAR(cols.min().item<double>(), 12, 0.5);
  EXPECT_NEAR(cols.max().item<double>() + 1, 24, 0.5);
  EXPECT_NEAR(rows.min().item<double>(), 4.5, 0.5);
  EXPECT_NEAR(rows.max().item<double>() + 1, 13.5, 0.5);
  EXPECT_EQ(s.semantic.sizes(), (std::vector<int64_t>{24, 30}));
  EXPECT_EQ(s.semantic[0][29].item<int64_t>(), 255);  // the ignore pixel at (0, 0) moved to the right edge
  const auto batch = beyond::data::collate({s, pipeline(ds.get(1), gen)});
  EXPECT_EQ(batch.images.tensor().sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_EQ(batch.images.image_size(1), (std::array<int64_t, 2>{29, 24}));  // 12 x 10 with shorter side 24
}
