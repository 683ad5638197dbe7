// `beyond data scenes` and `beyond data show` end to end: files written, preview drawn, bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/image.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;
using test::run_cli;

using test::contains;

TEST(CliData, ScenesThenShow) {
  test::TempDir dir;
  auto r = run_cli({"--threads", "2", "data", "scenes", "--out", dir / "scenes", "--train", "2", "--val", "3", "--test",
                    "1", "--size", "96", "--seed", "5"},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "val: 3 images")) << r.output;
  for (const std::string f : {"annotations/instances_train.json", "annotations/instances_val.json",
                              "annotations/instances_test.json", "train/images/000002.png", "val/labels/000003.png",
                              "test/images/000001.png", "scenes.json"})
    EXPECT_TRUE(fs::is_regular_file(dir / ("scenes/" + f))) << f;
  EXPECT_FALSE(fs::exists(dir / "scenes/val/images/000004.png"));

  r = run_cli({"data", "show", dir / "scenes", "--split", "val", "--n", "3", "--nrow", "2", "--out", dir / "p.png"},
              dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 2 columns and 2 rows of 96-pixel tiles with 4 pixels of padding.
  const torch::Tensor preview = read_image(dir / "p.png");
  EXPECT_EQ(preview.sizes(), (std::vector<int64_t>{3, 2 * 100 + 4, 2 * 100 + 4}));
}

TEST(CliData, BadSizeIsAUsageError) {
  test::TempDir dir;
  auto r = run_cli({"data", "scenes", "--out", dir / "s", "--size", "12"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--size must be in [64, 4096]")) << r.output;
  r = run_cli({"data", "scenes", "--out", dir / "s", "--train", "-3"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "image counts must be >= 0")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "s"));
}

TEST(CliData, UnwritableOutputFails) {
  test::TempDir dir;
  write_file_atomic(dir / "blocker", "a file where a directory should be");
  auto r = run_cli({"data", "scenes", "--out", dir / "blocker/s", "--train", "1", "--val", "0", "--test", "0"},
                   dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "cannot create output directory")) << r.output;
  EXPECT_TRUE(contains(r.output, "blocker")) << r.output;
}

TEST(CliData, ShowWithoutTheSplitIsAUsageError) {
  test::TempDir dir;
  auto r = run_cli({"data", "show", dir.path().string(), "--split", "val"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "instances_val.json not found")) << r.output;
}

}  // namespace
}  // namespace beyond
