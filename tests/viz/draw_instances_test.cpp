// draw_annotations: masks tint only their pixels, boxes and labels land where the annotation says,
// keypoints are drawn by visibility, and bad images are refused.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "beyond/data/formats/coco.h"
#include "beyond/data/mask/rle.h"
#include "beyond/viz/draw_instances.h"
#include "support/helpers.h"

namespace beyond::viz {
namespace {

coco::Annotation square(int x, int y, int side, int64_t category, int height, int width) {
  std::vector<uint8_t> m(static_cast<size_t>(height * width), 0);
  for (int r = y; r < y + side; ++r)
    for (int c = x; c < x + side; ++c) m[static_cast<size_t>(r * width + c)] = 1;
  coco::Annotation a;
  a.category_id = category;
  a.segmentation.kind = coco::Segmentation::Kind::CompressedRle;
  a.segmentation.rle = mask::encode(m.data(), height, width);
  a.bbox = mask::to_box(a.segmentation.rle);
  a.area = static_cast<double>(mask::area(a.segmentation.rle));
  return a;
}

std::vector<coco::Category> categories() {
  coco::Category c;
  c.id = 3;
  c.name = "thing";
  coco::Category p;
  p.id = 11;
  p.name = "person";
  p.keypoints = {"a", "b", "c"};
  p.skeleton = {{1, 2}, {2, 3}};
  return {c, p};
}

TEST(DrawInstances, MaskTintsOnlyItsPixelsAndTheBoxIsOnTheBorder) {
  cv::Mat image(64, 64, CV_8UC3, cv::Scalar(0, 0, 0));
  const coco::Annotation a = square(20, 30, 10, 3, 64, 64);
  draw_annotations(image, {a}, categories(), DrawOptions().draw_labels(false));
  const cv::Scalar colour = category_colour(3);
  const cv::Vec3b inside = image.at<cv::Vec3b>(34, 24), outside = image.at<cv::Vec3b>(5, 5);
  EXPECT_EQ(outside, cv::Vec3b(0, 0, 0));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(inside[k], 0.45 * colour[k], 1.0);
  // The box's top-left corner pixel and bottom-right pixel carry the category colour.
  for (const cv::Point p : {cv::Point(20, 30), cv::Point(29, 39)})
    for (int k = 0; k < 3; ++k) EXPECT_EQ(image.at<cv::Vec3b>(p)[k], static_cast<uint8_t>(colour[k])) << p;
  EXPECT_EQ(image.at<cv::Vec3b>(40, 30), cv::Vec3b(0, 0, 0));
}

TEST(DrawInstances, LabelsAndKeypointsByVisibility) {
  cv::Mat image(80, 80, CV_8UC3, cv::Scalar(0, 0, 0));
  coco::Annotation person;
  person.category_id = 11;
  person.bbox = {10, 30, 60, 40};
  person.keypoints = {20.5, 50.5, 2, 40.5, 50.5, 1, 60.5, 50.5, 0};
  draw_annotations(image, {person}, categories(), DrawOptions().draw_boxes(false).draw_labels(false));
  EXPECT_EQ(image.at<cv::Vec3b>(50, 20), cv::Vec3b(255, 255, 255)) << "a visible keypoint is a filled dot";
  EXPECT_EQ(image.at<cv::Vec3b>(50, 60), cv::Vec3b(0, 0, 0)) << "v = 0 is not drawn";
  EXPECT_NE(image.at<cv::Vec3b>(50, 30), cv::Vec3b(0, 0, 0)) << "skeleton line between two labelled keypoints";
  EXPECT_EQ(image.at<cv::Vec3b>(50, 52), cv::Vec3b(0, 0, 0)) << "no line to an unlabelled keypoint";

  cv::Mat labelled(80, 80, CV_8UC3, cv::Scalar(0, 0, 0));
  draw_annotations(labelled, {person}, categories(), DrawOptions().draw_boxes(false).draw_keypoints(false));
  // The label sits above the box's top-left corner.
  EXPECT_GT(cv::countNonZero(labelled(cv::Rect(10, 18, 30, 12)).reshape(1)), 20);
  EXPECT_EQ(cv::countNonZero(labelled(cv::Rect(10, 40, 60, 40)).reshape(1)), 0);
}

TEST(DrawInstances, RefusesGreyImages) {
  cv::Mat grey(8, 8, CV_8UC1, cv::Scalar(0));
  const std::string message = test::error_of([&] { draw_annotations(grey, {}, {}); });
  EXPECT_NE(message.find("CV_8UC3"), std::string::npos) << message;
}

}  // namespace
}  // namespace beyond::viz
