// Every registered task end to end through train_run on a tiny Fashion-MNIST subset: it trains, the
// loss goes down, and the run directory holds what the report needs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "beyond/engine/config.h"
#include "beyond/engine/metrics_log.h"
#include "beyond/tasks/run.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;

Config tiny(const std::string& model, int steps) {
  Config cfg = Config::builtin(model);
  for (const std::string& s : std::vector<std::string>{"data.train_limit=512", "data.test_limit=128", "data.batch_size=32", "train.log_every=1",
        "train.checkpoint_every=0", "train.steps=" + std::to_string(steps)})
    cfg.set_assignment(s);
  return cfg;
}

/// Mean of `key` over the first and the last `n` train records.
std::pair<double, double> first_and_last(const std::string& run, const std::string& key, size_t n) {
  std::vector<double> v;
  for (const auto& r : MetricsLog::read(run + "/metrics.jsonl"))
    if (r.split == "train") v.push_back(r.values.at(key));
  EXPECT_GE(v.size(), 2 * n);
  double a = 0, b = 0;
  for (size_t i = 0; i < n; ++i) {
    a += v[i] / n;
    b += v[v.size() - 1 - i] / n;
  }
  return {a, b};
}

class TaskTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(TaskTraining, AFewStepsLowerTheLossAndWriteTheRun) {
  test::TempDir dir;
  const std::string model = GetParam();
  Config cfg = tiny(model, 40);
  if (model == "vae") cfg.set_assignment("eval.iwae_images=16");
  RunOptions options;
  options.out_dir = dir / model;
  options.progress = false;
  auto result = train_run(cfg, options);
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  auto [first, last] = first_and_last(options.out_dir, "loss", 5);
  EXPECT_LT(last, first) << model;
  EXPECT_TRUE(fs::exists(options.out_dir + "/model.safetensors"));
  EXPECT_TRUE(fs::exists(options.out_dir + "/report.html"));
  for (const auto& [k, v] : result.final_metrics) EXPECT_TRUE(std::isfinite(v)) << model << " " << k;
}

INSTANTIATE_TEST_SUITE_P(Generative, TaskTraining, ::testing::Values("ae", "dae", "vae", "classifier"));

TEST(GanTask, DiscriminatorLearnsToSeparateAndBothLossesStayFinite) {
  test::TempDir dir;
  Config cfg = tiny("gan", 30);
  cfg.set_assignment("eval.fid_samples=0");
  RunOptions options;
  options.out_dir = dir / "gan";
  options.progress = false;
  auto result = train_run(cfg, options);
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  auto [d_first, d_last] = first_and_last(options.out_dir, "loss_d", 5);
  EXPECT_LT(d_last, d_first);
  auto [real_first, real_last] = first_and_last(options.out_dir, "d_real", 5);
  auto [fake_first, fake_last] = first_and_last(options.out_dir, "d_fake", 5);
  EXPECT_GT(real_last - fake_last, real_first - fake_first);
  EXPECT_TRUE(fs::exists(options.out_dir + "/images/samples.png"));
}

TEST(DaeTask, ReportsDenoisingAgainstCleanTargets) {
  test::TempDir dir;
  RunOptions options;
  options.out_dir = dir / "dae";
  options.progress = false;
  auto result = train_run(tiny("dae", 10), options);
  for (const char* key : {"recon_bce", "denoise_bce", "denoise_mse"}) EXPECT_TRUE(result.final_metrics.count(key)) << key;
}

}  // namespace
}  // namespace beyond
