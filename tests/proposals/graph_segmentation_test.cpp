// Felzenszwalb-Huttenlocher segmentation on synthetic images: flat regions, min_size, the effect of k.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <opencv2/imgproc.hpp>

#include "beyond/proposals/graph_segmentation.h"
#include "support/helpers.h"

namespace beyond::proposals {
namespace {

/// Uniform noise of amplitude `amplitude` around mid-grey, 3 channels.
cv::Mat noise_image(int w, int h, int amplitude, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_int_distribution<int> d(-amplitude, amplitude);
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(128 + d(rng));
  return img;
}

std::map<int, int> segment_sizes(const Segmentation& seg) {
  std::map<int, int> sizes;
  for (int l : seg.labels) ++sizes[l];
  return sizes;
}

TEST(GraphSegmentation, TwoFlatRegionsGiveTwoSegments) {
  cv::Mat img(30, 40, CV_8UC3, cv::Scalar(200, 30, 30));
  img(cv::Rect(17, 0, 23, 30)).setTo(cv::Scalar(20, 40, 220));
  // Unsmoothed, the boundary is a step; smoothed, it is a ramp whose 1-pixel strips (30 pixels each)
  // stay separate unless min_size absorbs them.
  EXPECT_EQ(segment_graph(img, GraphSegmentationOptions().k(300).sigma(0.8).min_size(10)).num_segments, 6);
  const Segmentation seg = segment_graph(img, GraphSegmentationOptions().k(300).sigma(0.8).min_size(31));
  ASSERT_EQ(seg.num_segments, 2);
  EXPECT_EQ(segment_graph(img, GraphSegmentationOptions().k(300).sigma(0).min_size(0)).labels, seg.labels);
  ASSERT_EQ(seg.labels.size(), 30u * 40u);
  EXPECT_EQ(seg.width, 40);
  EXPECT_EQ(seg.height, 30);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x) EXPECT_EQ(seg.labels[y * 40 + x], seg.labels[x < 17 ? 0 : 39]) << x << "," << y;
  EXPECT_NE(seg.labels[0], seg.labels[39]);
}

TEST(GraphSegmentation, MinSizeIsRespected) {
  const cv::Mat img = noise_image(64, 48, 60, 1);
  for (int min_size : {0, 20, 100}) {
    const Segmentation seg = segment_graph(img, GraphSegmentationOptions().k(20).sigma(0).min_size(min_size));
    const auto sizes = segment_sizes(seg);
    EXPECT_EQ(static_cast<int>(sizes.size()), seg.num_segments);
    for (const auto& [label, size] : sizes) {
      EXPECT_GE(size, min_size) << "label " << label;
      EXPECT_LT(label, seg.num_segments);
    }
    if (min_size == 0) {
      EXPECT_GT(seg.num_segments, 100);  // noise at a small k: many tiny segments
    }
  }
}

TEST(GraphSegmentation, LargerKGivesFewerSegments) {
  const cv::Mat img = noise_image(64, 64, 40, 2);
  int previous = 64 * 64 + 1;
  for (double k : {5.0, 50.0, 500.0, 5000.0}) {
    const Segmentation seg = segment_graph(img, GraphSegmentationOptions().k(k).min_size(0));
    EXPECT_LT(seg.num_segments, previous) << "k=" << k;
    previous = seg.num_segments;
  }
}

TEST(GraphSegmentation, FloatAndGreyImages) {
  cv::Mat grey(20, 20, CV_8UC1, cv::Scalar(10));
  grey(cv::Rect(0, 10, 20, 10)).setTo(cv::Scalar(240));
  EXPECT_EQ(segment_graph(grey, GraphSegmentationOptions().sigma(0).min_size(5)).num_segments, 2);
  cv::Mat as_float;
  grey.convertTo(as_float, CV_32F);
  EXPECT_EQ(segment_graph(as_float, GraphSegmentationOptions().min_size(5)).labels,
            segment_graph(grey, GraphSegmentationOptions().min_size(5)).labels);
}

TEST(GraphSegmentation, BadInputIsNamed) {
  EXPECT_NE(test::error_of([] { segment_graph(cv::Mat()); }).find("empty"), std::string::npos);
  EXPECT_NE(test::error_of([] { segment_graph(cv::Mat(4, 4, CV_16UC1)); }).find("8-bit or float"), std::string::npos);
  EXPECT_NE(test::error_of([] { segment_graph(cv::Mat(4, 4, CV_8UC1), GraphSegmentationOptions().k(-1)); })
                .find("must be >= 0"),
            std::string::npos);
}

}  // namespace
}  // namespace beyond::proposals
