// The CLI end to end: exit codes, messages for bad input, SIGINT and resume, eval and sample.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "beyond/core/atomic_file.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;
using test::run_cli;

using test::contains;

/// A VAE run small enough for a test: 512 training images, a few steps, 64 test images.
std::vector<std::string> tiny_vae(const std::string& out, int steps) {
  return {"--threads", "1", "train", "vae", "--out", out, "--set", "data.train_limit=512", "--set",
          "data.test_limit=64", "--set", "eval.iwae_images=8", "--set", "eval.iwae_samples=4", "--set",
          "train.steps=" + std::to_string(steps), "--set", "train.checkpoint_every=2", "--set", "train.log_every=1",
          "--set", "data.batch_size=32"};
}

TEST(Cli, UnknownModelIsAUsageError) {
  test::TempDir dir;
  auto r = run_cli({"train", "vea", "--out", dir / "run"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown model 'vea'")) << r.output;
  EXPECT_TRUE(contains(r.output, "vae")) << r.output;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  test::TempDir dir;
  auto r = run_cli({"train", "vae", "--epochs", "3", "--out", dir / "run"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--epochs")) << r.output;
}

TEST(Cli, UnknownConfigKeyNamesTheClosestValidKey) {
  test::TempDir dir;
  auto r = run_cli({"train", "vae", "--set", "train.epoch=3", "--out", dir / "run"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "'train.epochs'")) << r.output;
  EXPECT_TRUE(contains(r.output, "did you mean")) << r.output;
}

TEST(Cli, UnwritableOutputDirectoryFailsBeforeTraining) {
  test::TempDir dir;
  write_file_atomic(dir / "blocker", "a file where a directory should be");
  auto r = run_cli(tiny_vae(dir / "blocker/run", 2), dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "blocker")) << r.output;
  EXPECT_TRUE(contains(r.output, "cannot create output directory")) << r.output;
}

TEST(Cli, MissingDatasetNamesTheDebianPackage) {
  test::TempDir dir;
  auto args = tiny_vae(dir / "run", 2);
  args.insert(args.end(), {"--set", "data.root=" + (dir / "no-such-dir")});
  auto r = run_cli(args, dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "dataset-fashion-mnist")) << r.output;
  EXPECT_TRUE(contains(r.output, "no-such-dir")) << r.output;
}

TEST(Cli, TrainEvalAndSampleWriteTheRunDirectory) {
  test::TempDir dir;
  const std::string run = dir / "run";
  auto r = run_cli(tiny_vae(run, 4), dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"config.yaml", "metrics.jsonl", "model.safetensors", "eval.json", "report.html",
                        "images/reconstructions.png", "images/samples.png", "images/loss_curves.png"})
    EXPECT_TRUE(fs::exists(fs::path(run) / f)) << f;
  // The resolved config holds the overrides.
  EXPECT_TRUE(contains(read_file(run + "/config.yaml"), "train_limit: 512"));

  auto e = run_cli({"--threads", "1", "eval", run}, dir / "log_eval");
  EXPECT_EQ(e.exit_code, 0) << e.output;
  EXPECT_TRUE(contains(read_file(run + "/eval.json"), "neg_elbo"));

  auto s = run_cli({"--threads", "1", "sample", run, "--n", "16", "--out", dir / "grid.png"}, dir / "log_sample");
  EXPECT_EQ(s.exit_code, 0) << s.output;
  EXPECT_GT(fs::file_size(dir / "grid.png"), 100u);

  auto bad = run_cli({"eval", dir / "nowhere"}, dir / "log_bad");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(contains(bad.output, "not a beyond run directory")) << bad.output;
}

TEST(Cli, SigintWritesACheckpointAndExits130ThenResumeFinishes) {
  test::TempDir dir;
  const std::string run = dir / "run";
  pid_t pid = test::spawn_cli(tiny_vae(run, 100000), dir / "log");
  // Wait until training is under way (the first metrics line is written after step 1).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!(fs::exists(run + "/metrics.jsonl") && fs::file_size(run + "/metrics.jsonl") > 0)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "training did not start";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGINT);
  auto r = test::wait_cli(pid, dir / "log");
  EXPECT_EQ(r.exit_code, 130) << r.output;
  EXPECT_TRUE(contains(r.output, "--resume")) << r.output;
  ASSERT_TRUE(fs::exists(run + "/checkpoints"));
  EXPECT_FALSE(fs::is_empty(run + "/checkpoints"));

  // Resume with a finite step count that is beyond the interrupted step.
  auto resume = tiny_vae(run, 400);
  resume.push_back("--resume");
  auto done = run_cli(resume, dir / "log2");
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_TRUE(contains(done.output, "resumed from")) << done.output;
  EXPECT_TRUE(fs::exists(run + "/model.safetensors"));
}

TEST(Cli, TruncatedCheckpointOnResumeIsAClearErrorAndEarlierCheckpointsSurvive) {
  test::TempDir dir;
  const std::string run = dir / "run";
  ASSERT_EQ(run_cli(tiny_vae(run, 4), dir / "log").exit_code, 0);
  const std::string latest = run + "/checkpoints/step_00000004.pt";
  const std::string earlier = run + "/checkpoints/step_00000002.pt";
  ASSERT_TRUE(fs::exists(latest));
  ASSERT_TRUE(fs::exists(earlier));
  const std::string earlier_bytes = read_file(earlier);
  fs::resize_file(latest, fs::file_size(latest) / 3);

  auto resume = tiny_vae(run, 6);
  resume.push_back("--resume");
  auto r = run_cli(resume, dir / "log2");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "truncated or damaged")) << r.output;
  EXPECT_TRUE(contains(r.output, "step_00000002.pt")) << r.output;
  EXPECT_EQ(read_file(earlier), earlier_bytes);

  // The suggested fix works.
  auto from_earlier = tiny_vae(run, 6);
  from_earlier.insert(from_earlier.end(), {"--resume", earlier});
  EXPECT_EQ(run_cli(from_earlier, dir / "log3").exit_code, 0);
}

TEST(Cli, ConfigPrintsEveryDefault) {
  test::TempDir dir;
  auto r = run_cli({"config", "gan"}, dir / "log");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "optim_g:")) << r.output;
  EXPECT_TRUE(contains(r.output, "non_saturating")) << r.output;
}

}  // namespace
}  // namespace beyond
