// Selective Search: valid, unique, deterministic boxes; coloured rectangles found; the proposal cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>
#include <tuple>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/proposals/proposal_cache.h"
#include "beyond/proposals/selective_search.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace beyond::proposals {
namespace {

/// A noisy grey-green background with three coloured rectangles (and a textured one), BGR.
cv::Mat rectangles_image(std::vector<Box>& objects) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(-12, 12);
  cv::Mat img(120, 160, CV_8UC3);
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const int base[3] = {110 + x / 8, 130, 100 + y / 8};
      for (int c = 0; c < 3; ++c) img.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(base[c] + d(rng));
    }
  objects = {{10, 12, 50, 60}, {70, 20, 140, 45}, {90, 70, 130, 110}};
  const cv::Scalar colours[3] = {{30, 30, 220}, {220, 60, 20}, {40, 220, 240}};
  for (int i = 0; i < 3; ++i) {
    const Box& b = objects[i];
    img(cv::Rect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1)).setTo(colours[i]);
  }
  return img;
}

double iou(const Box& a, const Box& b) {
  const int iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = static_cast<double>(iw) * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

TEST(SelectiveSearch, BoxesAreInsideUniqueAndNonEmpty) {
  std::vector<Box> objects;
  const cv::Mat img = rectangles_image(objects);
  const auto boxes = selective_search(img);
  ASSERT_GT(boxes.size(), 20u);
  std::set<std::tuple<int, int, int, int>> unique;
  for (const Box& b : boxes) {
    EXPECT_GE(b.x1, 0);
    EXPECT_GE(b.y1, 0);
    EXPECT_LE(b.x2, img.cols);
    EXPECT_LE(b.y2, img.rows);
    EXPECT_LT(b.x1, b.x2);
    EXPECT_LT(b.y1, b.y2);
    unique.insert({b.x1, b.y1, b.x2, b.y2});
  }
  EXPECT_EQ(unique.size(), boxes.size());
  // The whole image is the top of every hierarchy.
  EXPECT_EQ(unique.count({0, 0, img.cols, img.rows}), 1u);
}

TEST(SelectiveSearch, DeterministicForASeedWhateverTheThreads) {
  std::vector<Box> objects;
  const cv::Mat img = rectangles_image(objects);
  const auto a = selective_search(img, SelectiveSearchOptions::fast().seed(3).threads(1));
  const auto b = selective_search(img, SelectiveSearchOptions::fast().seed(3).threads(2));
  const auto c = selective_search(img, SelectiveSearchOptions::fast().seed(4).threads(2));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);  // another seed ranks differently...
  EXPECT_EQ(a.size(), c.size());  // ...but the set of boxes is the same
}

TEST(SelectiveSearch, FindsColouredRectangles) {
  std::vector<Box> objects;
  const cv::Mat img = rectangles_image(objects);
  for (const auto& options : {SelectiveSearchOptions::fast(), SelectiveSearchOptions::quality()}) {
    const auto boxes = selective_search(img, options);
    const size_t top = std::min<size_t>(boxes.size(), 50);
    for (const Box& o : objects) {
      double best = 0;
      for (size_t i = 0; i < top; ++i) best = std::max(best, iou(o, boxes[i]));
      EXPECT_GT(best, 0.9) << "object " << o.x1 << "," << o.y1 << " in the top " << top << " of " << options.key();
    }
  }
}

TEST(SelectiveSearch, GreyAndBgraInputsAreConverted) {
  cv::Mat grey(40, 50, CV_8UC1, cv::Scalar(30));
  grey(cv::Rect(10, 10, 20, 15)).setTo(cv::Scalar(220));
  const auto boxes = selective_search(grey);
  bool found = false;
  for (const Box& b : boxes) found |= b == Box{10, 10, 30, 25};
  EXPECT_TRUE(found);
  cv::Mat bgra;
  cv::cvtColor(grey, bgra, cv::COLOR_GRAY2BGRA);
  EXPECT_EQ(selective_search(bgra), boxes);
}

TEST(SelectiveSearch, BadInputAndOptionsAreNamed) {
  EXPECT_NE(test::error_of([] { selective_search(cv::Mat()); }).find("empty"), std::string::npos);
  EXPECT_NE(test::error_of([] { selective_search(cv::Mat(8, 8, CV_32FC3)); }).find("8-bit"), std::string::npos);
  EXPECT_NE(test::error_of([] { selective_search(cv::Mat(8, 8, CV_8UC3), SelectiveSearchOptions().ks({})); })
                .find("at least one"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { SelectiveSearchOptions::mode("slow"); }).find("unknown Selective Search mode 'slow'"),
            std::string::npos);
}

TEST(SelectiveSearch, BoxesToTensor) {
  const torch::Tensor t = boxes_to_tensor({{1, 2, 3, 4}, {5, 6, 7, 8}});
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(t[1][2].item<float>(), 7.f);
}

TEST(ProposalCache, ComputesOnceThenReads) {
  test::TempDir dir;
  std::vector<Box> objects;
  const std::string image = dir / "img.png";
  cv::imwrite(image, rectangles_image(objects));
  const auto options = SelectiveSearchOptions::fast().seed(1);
  const std::string cache = dir / "cache";
  const std::string file = proposal_cache_path(image, options, cache);
  EXPECT_FALSE(std::filesystem::exists(file));
  const auto first = cached_selective_search(image, options, cache);
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(first, selective_search(cv::imread(image), options));
  EXPECT_EQ(cached_selective_search(image, options, cache), first);
  // Another mode or seed is another file.
  EXPECT_NE(proposal_cache_path(image, SelectiveSearchOptions(options).seed(2), cache), file);
  EXPECT_NE(proposal_cache_path(image, SelectiveSearchOptions::quality(), cache), file);
  // A damaged file is recomputed and rewritten.
  write_file_atomic(file, "garbage");
  EXPECT_EQ(cached_selective_search(image, options, cache), first);
  EXPECT_NE(read_file(file), "garbage");
  // A truncated file too.
  const std::string bytes = read_file(file);
  write_file_atomic(file, bytes.substr(0, bytes.size() - 5));
  EXPECT_EQ(cached_selective_search(image, options, cache), first);
}

TEST(ProposalCache, UnreadableImageIsNamed) {
  test::TempDir dir;
  EXPECT_NE(test::error_of([&] { cached_selective_search(dir / "missing.png", {}, dir / "c"); }).find("missing.png"),
            std::string::npos);
  write_file_atomic(dir / "bad.png", "not a png");
  EXPECT_NE(test::error_of([&] { cached_selective_search(dir / "bad.png", {}, dir / "c"); }).find("cannot decode image"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::proposals
