// `beyond crf` end to end: the fixture through the CLI (.npy in and out, labels PNG), image
// conversions, and each bad input with its message.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/crf/dense_crf.h"
#include "beyond/data/formats/npy.h"
#include "beyond/data/formats/voc.h"
#include "crf/densecrf_fixture.h"
#include "crf/npy_bytes.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond::test {
namespace {

using F = DenseCrfFixture;

/// Writes the fixture image as a PNG with 1, 3 or 4 channels.
void write_png(const std::string& path, const std::vector<uint8_t>& rgb, int64_t w, int64_t h, int channels) {
  cv::Mat im(static_cast<int>(h), static_cast<int>(w), CV_8UC3, const_cast<uint8_t*>(rgb.data())), out;
  if (channels == 1) cv::cvtColor(im, out, cv::COLOR_RGB2GRAY);
  if (channels == 3) cv::cvtColor(im, out, cv::COLOR_RGB2BGR);
  if (channels == 4) cv::cvtColor(im, out, cv::COLOR_RGB2BGRA);
  ASSERT_TRUE(cv::imwrite(path, out));
}

class CrfCli : public ::testing::Test {
 protected:
  void SetUp() override {
    fx_ = load_densecrf_fixture();
    write_png(dir_ / "coffee.png", fx_.rgb, F::kWidth, F::kHeight, 3);
    npy::write_float32(dir_ / "unary.npy", {F::kLabels, F::kHeight, F::kWidth}, fx_.unary.data());
  }
  CliResult run(std::vector<std::string> args) { return run_cli(args, dir_ / "log.txt"); }

  DenseCrfFixture fx_;
  TempDir dir_;
};

TEST_F(CrfCli, FixtureEndToEnd) {
  const auto r = run({"crf", "--image", dir_ / "coffee.png", "--unary", dir_ / "unary.npy", "--out", dir_ / "labels.png",
                      "--marginals", dir_ / "q.npy"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto q = npy::read_float32(dir_ / "q.npy", 3);
  EXPECT_EQ(q.shape, (std::vector<int64_t>{F::kLabels, F::kHeight, F::kWidth}));
  double max_abs = 0;
  for (size_t i = 0; i < q.data.size(); ++i) max_abs = std::max(max_abs, double(std::fabs(q.data[i] - fx_.reference[i])));
  EXPECT_LE(max_abs, 1e-3);
  const auto labels = voc::read_label_png(dir_ / "labels.png");
  ASSERT_EQ(labels.height, F::kHeight);
  ASSERT_EQ(labels.width, F::kWidth);
  const auto expected = crf::map_labels(fx_.reference, F::kLabels, F::kWidth * F::kHeight);
  int64_t agree = 0;
  for (size_t p = 0; p < expected.size(); ++p) agree += labels.labels[p] == expected[p];
  EXPECT_GE(double(agree) / expected.size(), 0.999);

  // --probs P (p = exp(-U)) gives the same labels up to the 1e-5 clip.
  std::vector<float> probs(fx_.unary.size());
  for (size_t i = 0; i < probs.size(); ++i) probs[i] = std::exp(-fx_.unary[i]);
  npy::write_float32(dir_ / "probs.npy", {F::kLabels, F::kHeight, F::kWidth}, probs.data());
  const auto p = run({"crf", "--image", dir_ / "coffee.png", "--probs", dir_ / "probs.npy", "--out", dir_ / "p.png"});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const auto from_probs = voc::read_label_png(dir_ / "p.png");
  int64_t same = 0;
  for (size_t i = 0; i < expected.size(); ++i) same += from_probs.labels[i] == labels.labels[i];
  EXPECT_GE(double(same) / expected.size(), 0.99);

  // The model's flags are honoured: no pairwise weight means the unary's argmax.
  const auto flat = run({"crf", "--image", dir_ / "coffee.png", "--unary", dir_ / "unary.npy", "--out", dir_ / "u.png",
                         "--gaussian-compat", "0", "--bilateral-compat", "0", "--iterations", "3"});
  ASSERT_EQ(flat.exit_code, 0) << flat.output;
  std::vector<float> neg(fx_.unary.size());
  for (size_t i = 0; i < neg.size(); ++i) neg[i] = -fx_.unary[i];
  const auto argmax = crf::map_labels(neg, F::kLabels, F::kWidth * F::kHeight);
  const auto u = voc::read_label_png(dir_ / "u.png");
  for (size_t i = 0; i < argmax.size(); ++i) ASSERT_EQ(u.labels[i], argmax[i]) << "pixel " << i;
}

TEST_F(CrfCli, GreyAndRgbaImagesAreConverted) {
  for (int channels : {1, 4}) {
    const std::string image = dir_ / ("im" + std::to_string(channels) + ".png");
    write_png(image, fx_.rgb, F::kWidth, F::kHeight, channels);
    const auto r = run({"crf", "--image", image, "--unary", dir_ / "unary.npy", "--out", dir_ / "l.png", "--iterations", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(contains(r.output, channels == 1 ? "grey image converted to RGB" : "RGBA image converted to RGB"))
        << r.output;
  }
  // RGBA gives the RGB result exactly (alpha dropped).
  const auto a = run({"crf", "--image", dir_ / "im4.png", "--unary", dir_ / "unary.npy", "--out", dir_ / "a.png"});
  const auto b = run({"crf", "--image", dir_ / "coffee.png", "--unary", dir_ / "unary.npy", "--out", dir_ / "b.png"});
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_EQ(read_file(dir_ / "a.png"), read_file(dir_ / "b.png"));
}

TEST_F(CrfCli, BadInputs) {
  const std::string image = dir_ / "coffee.png";
  auto fails = [&](const std::string& unary_flag, const std::string& unary, const std::string& needle, int code = 1) {
    const auto r = run({"crf", "--image", image, unary_flag, unary, "--out", dir_ / "x.png"});
    EXPECT_EQ(r.exit_code, code) << r.output;
    EXPECT_TRUE(contains(r.output, needle)) << "expected '" << needle << "' in: " << r.output;
  };
  // Sizes differ.
  std::vector<float> small(F::kLabels * 10 * 12, 1.0f);
  npy::write_float32(dir_ / "small.npy", {F::kLabels, 10, 12}, small.data());
  fails("--unary", dir_ / "small.npy",
        dir_ / "small.npy" + ": has shape [21, 10, 12] but the image " + image +
            " is 320x213 (width x height); expected float32 [L, 213, 320]");
  // Non-finite values.
  std::vector<float> bad = fx_.unary;
  bad[5 * F::kWidth * F::kHeight + 7 * F::kWidth + 9] = INFINITY;
  npy::write_float32(dir_ / "inf.npy", {F::kLabels, F::kHeight, F::kWidth}, bad.data());
  fails("--unary", dir_ / "inf.npy", dir_ / "inf.npy" + ": value inf at label 5, pixel (x 9, y 7); expected finite -log p");
  std::vector<float> negative(fx_.unary.size(), 0.5f);
  negative[3] = -0.25f;
  npy::write_float32(dir_ / "neg.npy", {F::kLabels, F::kHeight, F::kWidth}, negative.data());
  fails("--probs", dir_ / "neg.npy", ": value -0.25 at label 0, pixel (x 3, y 0); expected finite probabilities >= 0");
  // More labels than a PNG can hold.
  write_png(dir_ / "tiny.png", std::vector<uint8_t>(4 * 3 * 3, 100), 4, 3, 3);
  std::vector<float> many(257 * 12, 1.0f);
  npy::write_float32(dir_ / "many.npy", {257, 3, 4}, many.data());
  {
    const auto r = run({"crf", "--image", dir_ / "tiny.png", "--unary", dir_ / "many.npy", "--out", dir_ / "m.png"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.output, dir_ / "m.png" + ": cannot hold 257 labels")) << r.output;
    EXPECT_TRUE(contains(r.output, "labels 0..255")) << r.output;
  }
  // Wrong dtype, rank, byte order.
  const std::vector<double> d(F::kLabels * F::kHeight * F::kWidth, 1.0);
  write_file_atomic(dir_ / "f8.npy", npy_bytes("<f8", false, "(21, 213, 320)", d.data(), d.size() * 8));
  fails("--unary", dir_ / "f8.npy",
        dir_ / "f8.npy" + ": holds float64 ('<f8'), expected float32 [L, 213, 320] (labels, height, width of " + image);
  write_file_atomic(dir_ / "r2.npy", npy_bytes("<f4", false, "(21, 68160)", fx_.unary.data(), fx_.unary.size() * 4));
  fails("--unary", dir_ / "r2.npy", dir_ / "r2.npy" + ": has shape [21, 68160] (rank 2), expected rank 3 float32 [L, 213, 320]");
  write_file_atomic(dir_ / "be.npy", npy_bytes(">f4", false, "(21, 213, 320)", fx_.unary.data(), fx_.unary.size() * 4));
  fails("--unary", dir_ / "be.npy", dir_ / "be.npy" + ": holds big-endian float32 ('>f4')");
  // Usage: neither or both of --unary / --probs.
  const auto none = run({"crf", "--image", image, "--out", dir_ / "x.png"});
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_TRUE(contains(none.output, "--unary U.npy or --probs P.npy")) << none.output;
  const auto both = run({"crf", "--image", image, "--unary", dir_ / "unary.npy", "--probs", dir_ / "unary.npy", "--out",
                         dir_ / "x.png"});
  EXPECT_EQ(both.exit_code, 2) << both.output;
  // A missing image.
  const auto missing = run({"crf", "--image", dir_ / "nope.png", "--unary", dir_ / "unary.npy", "--out", dir_ / "x.png"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.output, dir_ / "nope.png")) << missing.output;
}

}  // namespace
}  // namespace beyond::test
