#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "support/helpers.h"
#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/opencv_interop.h"

namespace fs = std::filesystem;

namespace {

using beyond::test::error_of;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("beyond_image_test_" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

}  // namespace

TEST_F(ImageTest, Uint8RgbRoundTrip) {
  const torch::Tensor img = torch::randint(0, 256, {3, 17, 23}).to(torch::kUInt8);
  beyond::write_image(path("rgb.png"), img);
  const torch::Tensor back = beyond::read_image(path("rgb.png"));
  EXPECT_EQ(back.sizes(), img.sizes());
  EXPECT_EQ(back.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(back, img));
}

TEST_F(ImageTest, GrayAndFloatRoundTrip) {
  const torch::Tensor gray = torch::rand({9, 12});  // [H, W] float
  beyond::write_image(path("gray.png"), gray);
  const torch::Tensor back = beyond::read_image(path("gray.png"));
  ASSERT_EQ(back.sizes(), torch::IntArrayRef({1, 9, 12}));
  const torch::Tensor expected = gray.mul(255).round().to(torch::kUInt8).unsqueeze(0);
  EXPECT_TRUE(torch::equal(back, expected));

  // Out-of-range floats are clamped.
  beyond::write_image(path("clamp.png"), torch::tensor({-1.0f, 2.0f}).view({1, 1, 2}));
  EXPECT_TRUE(torch::equal(beyond::read_image(path("clamp.png")), torch::tensor({0, 255}, torch::kUInt8).view({1, 1, 2})));
}

TEST_F(ImageTest, ChannelOrderIsRgb) {
  torch::Tensor red = torch::zeros({3, 2, 2}, torch::kUInt8);
  red[0].fill_(255);
  const cv::Mat mat = beyond::to_mat(red);
  ASSERT_EQ(mat.type(), CV_8UC3);
  EXPECT_EQ(mat.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));  // BGR
  EXPECT_TRUE(torch::equal(beyond::from_mat(mat), red));
}

TEST_F(ImageTest, MissingAndCorruptFiles) {
  std::string msg = error_of([&] { beyond::read_image(path("missing.png")); });
  EXPECT_NE(msg.find("missing.png"), std::string::npos) << msg;

  beyond::write_image(path("ok.png"), torch::rand({3, 32, 32}));
  std::string bytes = beyond::read_file(path("ok.png"));
  beyond::write_file_atomic(path("corrupt.png"), "\x89PNG\r\n\x1a\n but then nonsense");
  msg = error_of([&] { beyond::read_image(path("corrupt.png")); });
  EXPECT_NE(msg.find("corrupt.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot decode"), std::string::npos) << msg;

  beyond::write_file_atomic(path("empty.png"), "");
  msg = error_of([&] { beyond::read_image(path("empty.png")); });
  EXPECT_NE(msg.find("cannot decode"), std::string::npos) << msg;
}

TEST_F(ImageTest, WriteRefusesBadShapes) {
  std::string msg = error_of([&] { beyond::write_image(path("x.png"), torch::rand({2, 4, 4})); });
  EXPECT_NE(msg.find("[2, 4, 4]"), std::string::npos) << msg;
  msg = error_of([&] { beyond::write_image(path("x"), torch::rand({1, 4, 4})); });
  EXPECT_NE(msg.find(".png"), std::string::npos) << msg;
}
