// `beyond proposals IMAGE --out P.png`: the drawing, the cache, bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/core/image.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;
using test::contains;
using test::run_cli;

std::string write_rectangles(const test::TempDir& dir) {
  cv::Mat img(60, 80, CV_8UC3, cv::Scalar(120, 140, 110));
  cv::rectangle(img, cv::Rect(10, 10, 25, 30), cv::Scalar(20, 20, 230), cv::FILLED);
  cv::rectangle(img, cv::Rect(45, 20, 25, 25), cv::Scalar(230, 60, 20), cv::FILLED);
  const std::string path = dir / "rects.png";
  cv::imwrite(path, img);
  return path;
}

TEST(CliProposals, DrawsTheTopProposals) {
  test::TempDir dir;
  const std::string image = write_rectangles(dir);
  auto r = run_cli({"--threads", "2", "proposals", image, "--out", dir / "p.png", "--top", "5", "--cache", dir / "cache"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "proposals (fast)")) << r.output;
  EXPECT_TRUE(contains(r.output, "drew the top 5")) << r.output;
  const torch::Tensor in = read_image(image), out = read_image(dir / "p.png");
  ASSERT_EQ(out.sizes(), in.sizes());
  EXPECT_GT((out != in).any(0).sum().item<int64_t>(), 50);  // rectangles were drawn
  ASSERT_TRUE(fs::is_directory(dir / "cache"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "cache"), fs::directory_iterator()), 1);
  // The second run reads the cache and draws the same picture.
  r = run_cli({"proposals", image, "--out", dir / "q.png", "--top", "5", "--cache", dir / "cache"}, dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(torch::equal(read_image(dir / "q.png"), out));
}

TEST(CliProposals, BadInput) {
  test::TempDir dir;
  const std::string image = write_rectangles(dir);
  auto r = run_cli({"proposals", image, "--out", dir / "p.png", "--mode", "slow"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "slow")) << r.output;
  r = run_cli({"proposals", image, "--out", dir / "p.png", "--top", "0"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--top must be positive")) << r.output;
  r = run_cli({"proposals", dir / "missing.png", "--out", dir / "p.png"}, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "missing.png")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "p.png"));
}

}  // namespace
}  // namespace beyond
