#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "support/helpers.h"
#include "support/temp_dir.h"
#include "beyond/core/atomic_file.h"
#include "beyond/data/formats/coco.h"

namespace coco = beyond::coco;
namespace mask = beyond::mask;
using beyond::test::error_of;

namespace {

/// A dataset with every field and every segmentation kind.
coco::Dataset sample_dataset() {
  coco::Dataset d;
  d.info_json = R"({"description":"test","year":2026})";
  d.licenses_json = R"([{"id":1,"name":"CC0"}])";
  d.images = {{1, "a.png", 8, 6}, {7, "b/c.jpg", 5, 4}};
  coco::Category person{3, "person", "thing", {"head", "left_hand", "right_hand"}, {{1, 2}, {1, 3}}};
  d.categories = {{1, "shirt", "clothes", {}, {}}, person};
  d.reindex();

  coco::Annotation poly;
  poly.id = 10, poly.image_id = 1, poly.category_id = 1;
  poly.bbox = {1, 1, 4.5, 3.25};
  poly.area = 12.5;
  poly.segmentation.kind = coco::Segmentation::Kind::Polygons;
  poly.segmentation.polygons = {{1, 1, 5.5, 1, 5.5, 4.25, 1, 4.25}, {0.5, 0.5, 1.5, 0.5, 1, 1.5}};

  std::mt19937 rng(7);
  std::vector<uint8_t> pixels(6 * 8);
  for (auto& p : pixels) p = rng() % 3 == 0;
  coco::Annotation rle;
  rle.id = 11, rle.image_id = 1, rle.category_id = 1, rle.iscrowd = true;
  rle.segmentation.kind = coco::Segmentation::Kind::Rle;
  rle.segmentation.rle = mask::encode(pixels.data(), 6, 8);
  rle.area = static_cast<double>(mask::area(rle.segmentation.rle));
  rle.bbox = mask::to_box(rle.segmentation.rle);

  coco::Annotation compressed = rle;
  compressed.id = 12, compressed.iscrowd = false;
  compressed.segmentation.kind = coco::Segmentation::Kind::CompressedRle;
  std::reverse(pixels.begin(), pixels.end());
  compressed.segmentation.rle = mask::encode(pixels.data(), 6, 8);

  coco::Annotation kp;
  kp.id = 13, kp.image_id = 7, kp.category_id = 3;
  kp.bbox = {0, 0, 4, 3};
  kp.area = 9;
  kp.keypoints = {1, 1, 2, 0, 0, 0, 3.5, 2, 1};
  kp.num_keypoints = 2;
  d.annotations = {poly, rle, compressed, kp};
  return d;
}

void expect_same(const coco::Dataset& a, const coco::Dataset& b) {
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    EXPECT_EQ(a.images[i].id, b.images[i].id);
    EXPECT_EQ(a.images[i].file_name, b.images[i].file_name);
    EXPECT_EQ(a.images[i].width, b.images[i].width);
    EXPECT_EQ(a.images[i].height, b.images[i].height);
  }
  ASSERT_EQ(a.categories.size(), b.categories.size());
  for (size_t i = 0; i < a.categories.size(); ++i) {
    EXPECT_EQ(a.categories[i].id, b.categories[i].id);
    EXPECT_EQ(a.categories[i].name, b.categories[i].name);
    EXPECT_EQ(a.categories[i].supercategory, b.categories[i].supercategory);
    EXPECT_EQ(a.categories[i].keypoints, b.categories[i].keypoints);
    EXPECT_EQ(a.categories[i].skeleton, b.categories[i].skeleton);
  }
  ASSERT_EQ(a.annotations.size(), b.annotations.size());
  for (size_t i = 0; i < a.annotations.size(); ++i) {
    const auto &x = a.annotations[i], &y = b.annotations[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.image_id, y.image_id);
    EXPECT_EQ(x.category_id, y.category_id);
    EXPECT_EQ(x.bbox, y.bbox);
    EXPECT_EQ(x.area, y.area);
    EXPECT_EQ(x.iscrowd, y.iscrowd);
    EXPECT_EQ(x.segmentation.kind, y.segmentation.kind);
    EXPECT_EQ(x.segmentation.polygons, y.segmentation.polygons);
    if (x.segmentation.kind == coco::Segmentation::Kind::Rle ||
        x.segmentation.kind == coco::Segmentation::Kind::CompressedRle) {
      EXPECT_EQ(x.segmentation.rle, y.segmentation.rle);
    }
    EXPECT_EQ(x.keypoints, y.keypoints);
    EXPECT_EQ(x.num_keypoints, y.num_keypoints);
  }
}

/// A small valid dataset as text, with `annotation` as its only annotation.
std::string with_annotation(const std::string& annotation) {
  return R"({"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 3}],
             "categories": [{"id": 5, "name": "cat"}],
             "annotations": [)" +
         annotation + "]}";
}

std::string parse_error(const std::string& text) {
  return error_of([&] { coco::parse_dataset(text, "inst.json"); });
}

}  // namespace

TEST(Coco, WriteReadRoundTripKeepsEverySegmentationKind) {
  beyond::test::TempDir dir;
  const coco::Dataset d = sample_dataset();
  coco::write_dataset(d, dir / "inst.json");
  const coco::Dataset back = coco::read_dataset(dir / "inst.json");
  expect_same(d, back);
  EXPECT_EQ(back.info_json, d.info_json);
  EXPECT_EQ(back.licenses_json, d.licenses_json);
  EXPECT_EQ(back.image_index(7), 1);
  EXPECT_EQ(back.category_index(3), 1);
  EXPECT_EQ(back.image_index(2), -1);
  // A second pass writes the same bytes.
  EXPECT_EQ(coco::dump_dataset(back), beyond::read_file(dir / "inst.json"));
  // The compressed RLE is written as COCO's string.
  EXPECT_NE(beyond::read_file(dir / "inst.json").find(mask::to_string(d.annotations[2].segmentation.rle)),
            std::string::npos);
}

TEST(Coco, ReadsEachSegmentationKindFromText) {
  const std::string text = R"({
    "info": {"year": 2017}, "licenses": [],
    "images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 3, "license": 2}],
    "categories": [{"id": 5, "name": "person", "supercategory": "p", "keypoints": ["a", "b"], "skeleton": [[1, 2]]}],
    "annotations": [
      {"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 3], "area": 6, "iscrowd": 0,
       "segmentation": [[0, 0, 2, 0, 2, 3, 0, 3]], "keypoints": [1, 1, 2, 0, 0, 0], "num_keypoints": 1},
      {"id": 2, "image_id": 1, "category_id": 5, "bbox": [1, 0, 1, 3], "area": 3, "iscrowd": 1,
       "segmentation": {"size": [3, 4], "counts": [3, 3, 6]}},
      {"id": 3, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 2], "area": 2, "iscrowd": 0,
       "segmentation": {"size": [3, 4], "counts": "02:"}}]})";
  const coco::Dataset d = coco::parse_dataset(text, "x.json");
  ASSERT_EQ(d.annotations.size(), 3u);
  EXPECT_EQ(d.categories[0].keypoints, std::vector<std::string>({"a", "b"}));
  EXPECT_EQ(d.categories[0].skeleton.size(), 1u);
  const auto& p = d.annotations[0];
  EXPECT_EQ(p.segmentation.kind, coco::Segmentation::Kind::Polygons);
  EXPECT_EQ(mask::area(coco::to_rle(p, 3, 4)), 6u);
  EXPECT_EQ(p.num_keypoints, 1);
  const auto& r = d.annotations[1];
  EXPECT_EQ(r.segmentation.kind, coco::Segmentation::Kind::Rle);
  EXPECT_TRUE(r.iscrowd);
  EXPECT_EQ(mask::to_box(coco::to_rle(r, 3, 4)), (mask::Box{1, 0, 1, 3}));
  const auto& c = d.annotations[2];
  EXPECT_EQ(c.segmentation.kind, coco::Segmentation::Kind::CompressedRle);
  EXPECT_EQ(c.segmentation.rle.counts, std::vector<uint32_t>({0, 2, 10}));
  EXPECT_EQ(mask::area(coco::to_rle(c, 3, 4)), 2u);
}

TEST(Coco, ToRleOfABoxOnlyAnnotationIsTheBox) {
  coco::Annotation a;
  a.bbox = {1, 1, 2, 1};
  EXPECT_EQ(coco::to_rle(a, 3, 4), mask::from_box({1, 1, 2, 1}, 3, 4));
  EXPECT_EQ(mask::area(coco::to_rle(a, 3, 4)), 2u);
}

TEST(Coco, RepairsWhatCocoTolerates) {
  // No area (computed from the mask: the 2 x 3 polygon), no iscrowd (0), no num_keypoints (counted),
  // no bbox (the mask's box).
  const coco::Dataset d = coco::parse_dataset(
      with_annotation(R"({"id": 4, "image_id": 1, "category_id": 5, "segmentation": [[1, 0, 3, 0, 3, 3, 1, 3]],
                          "keypoints": [1, 1, 2, 2, 2, 1, 0, 0, 0]})"),
      "inst.json");
  const auto& a = d.annotations[0];
  EXPECT_EQ(a.area, 6.0);
  EXPECT_FALSE(a.iscrowd);
  EXPECT_EQ(a.num_keypoints, 2);
  EXPECT_EQ(a.bbox, (mask::Box{1, 0, 2, 3}));
  // A box-only annotation without area gets w * h.
  const auto b = coco::parse_dataset(with_annotation(R"({"id": 4, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1.5, 2]})"),
                                     "inst.json");
  EXPECT_EQ(b.annotations[0].area, 3.0);
}

TEST(Coco, BadDatasetsNameTheFileAndAnnotation) {
  const std::string malformed = parse_error(R"({"images": [1, 2,, 3]})");
  EXPECT_NE(malformed.find("inst.json: malformed JSON at byte 18"), std::string::npos) << malformed;
  EXPECT_NE(parse_error("[]").find("inst.json: a COCO dataset must be a JSON object"), std::string::npos);
  // Found by fuzzing: a number beyond double's range is nlohmann's out_of_range, not a parse_error.
  EXPECT_NE(parse_error(R"({"images": [{"id": 1e999}]})").find("inst.json: unreadable JSON"), std::string::npos);
  const std::pair<std::string, std::string> cases[] = {
      {R"({"id": 9, "image_id": 2, "category_id": 5, "bbox": [0, 0, 1, 1]})",
       "inst.json, annotation id 9: image_id 2 is not among the file's images"},
      {R"({"id": 9, "image_id": 1, "category_id": 6, "bbox": [0, 0, 1, 1]})",
       "inst.json, annotation id 9: category_id 6 is not among the file's categories"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, -1, 1]})",
       "inst.json, annotation id 9: `bbox` has negative width or height"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1]})",
       "inst.json, annotation id 9: `bbox` must have 4 numbers"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 1, 1]]})",
       "inst.json, annotation id 9: polygon 0 has 4 numbers; a polygon needs at least 3 points"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1],
           "segmentation": {"size": [3, 4], "counts": [3, 3, 5]}})",
       "inst.json, annotation id 9: RLE counts sum to 11 but the size [3, 4] needs height * width = 12"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1],
           "segmentation": {"size": [3, 4], "counts": "02"}})",
       "inst.json, annotation id 9: RLE counts sum to 2"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1],
           "segmentation": {"size": [4, 3], "counts": [12]}})",
       "inst.json, annotation id 9: RLE size [4, 3] differs from the size of image 1 [3, 4]"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1], "segmentation": 3})",
       "inst.json, annotation id 9: `segmentation` must be a list of polygons or an RLE object"},
      {R"({"id": 9, "image_id": 1, "category_id": 5})",
       "inst.json, annotation id 9: missing `bbox` and no `segmentation`"},
      {R"({"image_id": 1, "category_id": 5})", "inst.json, annotations[0]: missing required field `id`"},
      {R"({"id": "x", "image_id": 1, "category_id": 5})", "inst.json, annotations[0]: `id` must be an integer"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1], "iscrowd": 2})",
       "inst.json, annotation id 9: `iscrowd` must be 0 or 1"},
      {R"({"id": 9, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1], "keypoints": [1, 2]})",
       "inst.json, annotation id 9: `keypoints` must be [x, y, v] triples"},
      {R"({"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1]},
          {"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1, 1]})",
       "inst.json: duplicate annotation id 1 (annotations[1])"},
  };
  for (const auto& [annotation, expected] : cases) {
    const std::string message = parse_error(with_annotation(annotation));
    EXPECT_NE(message.find(expected), std::string::npos) << "got: " << message << "\nexpected: " << expected;
  }
  EXPECT_NE(parse_error(R"({"images": [{"id": 1, "file_name": "a", "width": 1, "height": 1},
                                       {"id": 1, "file_name": "b", "width": 1, "height": 1}]})")
                .find("inst.json: duplicate image id 1"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"categories": [{"id": 2, "name": "a"}, {"id": 2, "name": "b"}]})")
                .find("inst.json: duplicate category id 2"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"images": [{"id": 1, "width": 1, "height": 1}]})")
                .find("inst.json, image id 1: missing required field `file_name`"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"categories": [{"id": 2, "name": "a", "keypoints": ["x"], "skeleton": [[1, 2]]}]})")
                .find("inst.json, category id 2: `skeleton` refers to keypoint 2 but the category has 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { coco::read_dataset("/nonexistent/inst.json"); }).find("/nonexistent/inst.json"),
            std::string::npos);
}

TEST(Coco, ResultsFollowLoadRes) {
  const coco::Dataset gt = sample_dataset();
  // bbox results: ids from 1, area w * h, not crowd.
  const auto boxes = coco::parse_results(
      R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9},
          {"image_id": 7, "category_id": 3, "bbox": [0, 0, 2, 0.5], "score": 0.5}])",
      gt, "res.json");
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].id, 1);
  EXPECT_EQ(boxes[1].id, 2);
  EXPECT_EQ(boxes[0].area, 12.0);
  EXPECT_EQ(boxes[1].area, 1.0);
  EXPECT_EQ(boxes[0].score, 0.9);
  EXPECT_FALSE(boxes[0].iscrowd);
  // Box results' masks are their boxes (loadRes gives them the box polygon).
  EXPECT_EQ(coco::to_rle(boxes[0], 6, 8), mask::from_box({1, 2, 3, 4}, 6, 8));

  // segm results: area and box from the mask.
  const mask::Rle rle = mask::from_box({2, 1, 3, 2}, 6, 8);
  const auto segm = coco::parse_results(R"([{"image_id": 1, "category_id": 1, "score": 0.3, "segmentation":
                                              {"size": [6, 8], "counts": ")" +
                                            mask::to_string(rle) + R"("}}])",
                                        gt, "res.json");
  ASSERT_EQ(segm.size(), 1u);
  EXPECT_EQ(segm[0].area, 6.0);
  EXPECT_EQ(segm[0].bbox, (mask::Box{2, 1, 3, 2}));
  EXPECT_EQ(segm[0].segmentation.rle, rle);

  // keypoints results: area and box from the extent of all keypoints (also unlabelled ones, as
  // loadRes does).
  const auto kps = coco::parse_results(
      R"([{"image_id": 7, "category_id": 3, "score": 1, "keypoints": [1, 2, 2, 4, 1, 1, 2, 5, 0]}])", gt, "res.json");
  EXPECT_EQ(kps[0].bbox, (mask::Box{1, 1, 3, 4}));
  EXPECT_EQ(kps[0].area, 12.0);

  EXPECT_TRUE(coco::parse_results("[]", gt, "res.json").empty());
}

TEST(Coco, ResultsRoundTrip) {
  beyond::test::TempDir dir;
  const coco::Dataset gt = sample_dataset();
  std::vector<coco::Annotation> dets(2);
  dets[0].image_id = 1, dets[0].category_id = 1, dets[0].score = 0.25;
  dets[0].segmentation.kind = coco::Segmentation::Kind::Rle;
  dets[0].segmentation.rle = mask::from_box({1, 1, 2, 2}, 6, 8);
  dets[0].bbox = mask::to_box(dets[0].segmentation.rle);
  dets[1].image_id = 7, dets[1].category_id = 3, dets[1].score = 0.125;
  dets[1].segmentation.kind = coco::Segmentation::Kind::CompressedRle;
  dets[1].segmentation.rle = mask::from_box({0, 0, 5, 4}, 4, 5);
  dets[1].bbox = {0, 0, 5, 4};
  dets[1].keypoints = {1, 1, 2, 0, 0, 0, 2, 2, 1};
  coco::write_results(dets, dir / "res.json");
  const auto back = coco::read_results(dir / "res.json", gt);
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].image_id, dets[i].image_id);
    EXPECT_EQ(back[i].category_id, dets[i].category_id);
    EXPECT_EQ(back[i].score, dets[i].score);
    EXPECT_EQ(back[i].bbox, dets[i].bbox);
    EXPECT_EQ(back[i].segmentation.kind, coco::Segmentation::Kind::CompressedRle);
    EXPECT_EQ(back[i].segmentation.rle, dets[i].segmentation.rle);
    EXPECT_EQ(back[i].keypoints, dets[i].keypoints);
    // Written with a bbox, so read as box results (as loadRes would): area w * h.
    EXPECT_EQ(back[i].area, dets[i].bbox[2] * dets[i].bbox[3]);
  }
}

TEST(Coco, BadResults) {
  const coco::Dataset gt = sample_dataset();
  auto err = [&](const std::string& text) { return error_of([&] { coco::parse_results(text, gt, "res.json"); }); };
  EXPECT_NE(err(R"([{"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])")
                .find("res.json, result 0: image_id 2 is not in the ground truth"),
            std::string::npos);
  EXPECT_NE(err(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}])")
                .find("res.json, result 0: missing required field `score`"),
            std::string::npos);
  EXPECT_NE(err(R"([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1},
                    {"image_id": 1, "category_id": 1, "score": 1, "segmentation": [[0, 0, 1, 0, 1, 1]]}])")
                .find("res.json, result 1: missing required field `bbox`"),
            std::string::npos);
  EXPECT_NE(err(R"([{"image_id": 1, "category_id": 1, "score": 1}])").find("has none of `bbox`"), std::string::npos);
  EXPECT_NE(err(R"({"image_id": 1})").find("must be a JSON list"), std::string::npos);
  EXPECT_NE(err(R"([{"image_id": 1, "category_id": 1, "score": 1, "segmentation": {"size": [8, 6], "counts": "0"}}])")
                .find("res.json, result 0: RLE size [8, 6] differs from the size of image 1 [6, 8]"),
            std::string::npos);
  EXPECT_NE(err("[{]").find("res.json: malformed JSON at byte 3 (parse error at line 1, column 3"), std::string::npos);
  // A category the ground truth lacks is kept (with a warning): the evaluator ignores it.
  EXPECT_EQ(coco::parse_results(R"([{"image_id": 1, "category_id": 99, "bbox": [0, 0, 1, 1], "score": 1}])", gt, "r")
                .size(),
            1u);
}
