// `beyond refine` end to end: a loose box and a coarse mask around a sharp-edged object refined
// towards it (IoU with the truth goes up), and bad inputs with their messages.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/crf/mask_refinement.h"
#include "beyond/data/formats/png_image.h"
#include "crf/synthetic_object.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond::test {
namespace {

class RefineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    s_ = crf::synthetic_object(140, 110, 3);
    cv::Mat rgb(static_cast<int>(s_.height), static_cast<int>(s_.width), CV_8UC3, s_.rgb.data()), bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    ASSERT_TRUE(cv::imwrite(dir_ / "photo.png", bgr));
  }
  CliResult run(std::vector<std::string> args) { return run_cli(args, dir_ / "log.txt"); }
  /// The object mask a refine run wrote (255 -> 1), checking it is 0/255 greyscale of the image's size.
  std::vector<uint8_t> read_mask(const std::string& path) {
    const auto im = png_image::read_rgb8(path);
    EXPECT_EQ(im.source_channels, 1);
    EXPECT_EQ(im.width, s_.width);
    EXPECT_EQ(im.height, s_.height);
    std::vector<uint8_t> mask(static_cast<size_t>(im.width * im.height));
    for (size_t i = 0; i < mask.size(); ++i) {
      EXPECT_TRUE(im.rgb[3 * i] == 0 || im.rgb[3 * i] == 255) << "pixel " << i;
      mask[i] = im.rgb[3 * i] != 0;
    }
    return mask;
  }

  crf::SyntheticObject s_;
  TempDir dir_;
};

TEST_F(RefineCli, BoxAndMaskAreRefinedTowardsTheObject) {
  const auto& b = s_.loose_box;
  const std::string box = std::to_string(b[0]) + "," + std::to_string(b[1]) + "," + std::to_string(b[2]) + "," +
                          std::to_string(b[3]);
  auto r = run({"refine", "--image", dir_ / "photo.png", "--box", box, "--out", dir_ / "from_box.png"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "refine: 140x110")) << r.output;
  const double box_iou = crf::mask_iou(crf::box_mask(s_.width, s_.height, b), s_.truth);
  const double refined_iou = crf::mask_iou(read_mask(dir_ / "from_box.png"), s_.truth);
  EXPECT_GT(refined_iou, box_iou + 0.2) << "box IoU " << box_iou;

  // A coarse mask: the truth dilated by 8 px, written 0/255.
  const auto far = crf::distance_to(s_.truth, s_.width, s_.height);
  std::vector<uint8_t> coarse(far.size());
  for (size_t i = 0; i < far.size(); ++i) coarse[i] = far[i] <= 8 ? 255 : 0;
  png_image::write_grey8(dir_ / "coarse.png", coarse, s_.width, s_.height);
  r = run({"refine", "--image", dir_ / "photo.png", "--mask", dir_ / "coarse.png", "--out", dir_ / "from_mask.png",
           "--iterations", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(crf::mask_iou(read_mask(dir_ / "from_mask.png"), s_.truth), crf::mask_iou(coarse, s_.truth) + 0.1);
}

TEST_F(RefineCli, BadInputs) {
  const std::string image = dir_ / "photo.png", out = dir_ / "x.png";
  const auto fails = [&](std::vector<std::string> args, const std::string& needle, int code) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, code) << r.output;
    EXPECT_TRUE(contains(r.output, needle)) << "expected '" << needle << "' in: " << r.output;
  };
  fails({"refine", "--image", dir_ / "missing.png", "--box", "1,1,5,5", "--out", out},
        "cannot open " + dir_ / "missing.png", 1);
  fails({"refine", "--image", image, "--box", "100,20,50,30", "--out", out},
        "refine: --box of " + image + ": box 100,20,50,30 (x, y, width, height) does not lie in the 140x110 image", 1);
  fails({"refine", "--image", image, "--box", "10,20,30", "--out", out}, "--box '10,20,30' is not x,y,w,h", 2);
  fails({"refine", "--image", image, "--box", "1,2,3,4x", "--out", out}, "is not x,y,w,h", 2);
  fails({"refine", "--image", image, "--out", out}, "give the coarse object as --box x,y,w,h or --mask M.png", 2);
  png_image::write_grey8(dir_ / "small.png", std::vector<uint8_t>(20 * 10, 255), 20, 10);
  fails({"refine", "--image", image, "--mask", dir_ / "small.png", "--out", out},
        "refine: the mask " + dir_ / "small.png" + " is 20x10 but the image " + image + " is 140x110", 1);
  png_image::write_grey8(dir_ / "empty.png", std::vector<uint8_t>(140 * 110, 0), 140, 110);
  fails({"refine", "--image", image, "--mask", dir_ / "empty.png", "--out", out}, "has no object pixels", 1);
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace beyond::test
