// The stn task end to end through train_run and the CLI, on a tiny Fashion-MNIST subset.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "beyond/core/safetensors.h"
#include "beyond/engine/config.h"
#include "beyond/engine/trainer.h"
#include "beyond/tasks/run.h"
#include "beyond/tasks/stn_task.h"
#include "support/cli.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;

Config tiny(const std::string& kind, const std::string& distortion, bool augment) {
  Config cfg = Config::builtin("stn");
  for (const std::string& s :
       std::vector<std::string>{"data.train_limit=512", "data.test_limit=64", "data.batch_size=32", "train.log_every=5",
                                "train.checkpoint_every=0", "train.steps=20", "stn.theta_every=5",
                                "model.kind=" + kind, "data.distortion=" + distortion,
                                std::string("data.augment=") + (augment ? "true" : "false")})
    cfg.set_assignment(s);
  return cfg;
}

TEST(StnTask, TrainsAndWritesTestErrorAndThetaPictures) {
  test::TempDir dir;
  RunOptions options;
  options.out_dir = dir / "run";
  options.progress = false;
  auto result = train_run(tiny("st-cnn", "rts", false), options);
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  const double error = result.final_metrics.at("test_error");
  EXPECT_TRUE(error >= 0 && error <= 100);
  EXPECT_NEAR(error, 100 * (1 - result.final_metrics.at("test_accuracy")), 1e-9);
  EXPECT_GT(result.final_metrics.at("parameters"), 0);
  for (const char* f : {"rectified.png", "theta_evolution.png", "theta_curves.png", "theta.json"})
    EXPECT_TRUE(fs::exists(options.out_dir + "/images/" + f)) << f;
}

TEST(StnTask, AugmentedAndPlainModelsTrainAndStModelsMatchTheBudget) {
  test::TempDir dir;
  std::map<std::string, double> params;
  for (const std::string kind : {"cnn", "st-cnn", "fcn", "st-fcn"}) {
    RunOptions options;
    options.out_dir = dir / kind;
    options.progress = false;
    auto cfg = tiny(kind, "r", kind == "cnn");
    cfg.set_assignment("train.steps=2");
    auto result = train_run(cfg, options);
    ASSERT_EQ(result.status, TrainResult::Status::Completed) << kind;
    params[kind] = result.final_metrics.at("parameters");
    for (const auto& [k, v] : result.final_metrics) EXPECT_TRUE(std::isfinite(v)) << kind << " " << k;
  }
  EXPECT_NEAR(params["st-cnn"], params["cnn"], 0.01 * params["cnn"]);
  EXPECT_NEAR(params["st-fcn"], params["fcn"], 0.01 * params["fcn"]);
}

TEST(StnTask, ATransformerAfterTheFirstConvStageTrainsWithinTheBudgetAndDrawsOnTheInput) {
  test::TempDir dir;
  RunOptions options;
  options.out_dir = dir / "run";
  options.progress = false;
  auto cfg = tiny("st-cnn", "e", false);
  cfg.set_assignment("stn.after_conv=1");
  cfg.set_assignment("train.steps=3");
  auto result = train_run(cfg, options);
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  options.out_dir = dir / "cnn";
  auto cnn = tiny("cnn", "e", false);
  cnn.set_assignment("train.steps=1");
  auto plain = train_run(cnn, options);
  const double budget = plain.final_metrics.at("parameters");
  EXPECT_NEAR(result.final_metrics.at("parameters"), budget, 0.01 * budget);
  for (const char* f : {"rectified.png", "theta_evolution.png"})
    EXPECT_TRUE(fs::exists(fs::path(dir / "run/images") / f)) << f;

  auto fcn = tiny("st-fcn", "e", false);
  fcn.set_assignment("stn.after_conv=1");
  options.out_dir = dir / "fcn";
  EXPECT_THROW(train_run(fcn, options), UsageError);
}

TEST(StnTask, TheLocalisationNetTrainsAtItsOwnMultipleOfTheLearningRate) {
  test::TempDir dir;
  auto cfg = tiny("st-cnn", "rts", false);
  cfg.set_assignment("train.steps=3");
  cfg.set_assignment("stn.loc_lr_scale=0");  // frozen: the transformer stays the identity
  auto task = std::make_shared<StnTask>(cfg);
  TensorMap loc_before;
  for (const auto& [name, value] : state_dict(*task->model()->transformer())) loc_before[name] = value.clone();
  const auto fc_before = state_dict(*task->model()).at("fcs.0.weight").clone();
  Trainer(task, cfg, TrainerOptions::from_config(cfg).run_dir(dir / "run").progress(false).visualize(false)).run();
  for (const auto& [name, value] : state_dict(*task->model()->transformer()))
    EXPECT_TRUE(torch::equal(value, loc_before.at(name))) << name;
  EXPECT_FALSE(torch::equal(state_dict(*task->model()).at("fcs.0.weight"), fc_before));

  cfg.set_assignment("stn.loc_lr_scale=-1");
  EXPECT_THROW(StnTask{cfg}, UsageError);
}

TEST(StnCli, TrainWithShorthandsThenShowRectified) {
  test::TempDir dir;
  const std::string run = dir / "run";
  auto r = test::run_cli({"--threads", "1", "train", "stn", "--distortion", "p", "--model", "st-fcn", "--transform",
                          "projective", "--set", "data.train_limit=256", "--set", "data.test_limit=32", "--set",
                          "train.steps=3", "--set", "train.checkpoint_every=0", "--out", run},
                         dir / "train.log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto cfg = Config::from_file(run + "/config.yaml");
  EXPECT_EQ(cfg.get_string("data.distortion"), "p");
  EXPECT_EQ(cfg.get_string("stn.transform"), "projective");
  r = test::run_cli({"stn", "show", run, "--n", "10", "--out", dir / "rect.png"}, dir / "show.log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "rect.png"));
  // --model belongs to stn only; an unknown distortion names the known ones.
  r = test::run_cli({"train", "vae", "--model", "cnn", "--out", dir / "vae"}, dir / "vae.log");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("only the stn task"), std::string::npos) << r.output;
  r = test::run_cli({"train", "stn", "--distortion", "shear", "--out", dir / "bad"}, dir / "bad.log");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("known: r, rts, p, e, cluttered"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace beyond
