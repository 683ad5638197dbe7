// The adding and copy tasks: their data, training end to end (the loss falls), clipping by value in
// the Trainer, and the CLI (`beyond train adding|copy`, `beyond gradients`).
#include "beyond/data/generators/long_range.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "beyond/engine/config.h"
#include "beyond/engine/metrics_log.h"
#include "beyond/engine/trainer.h"
#include "beyond/tasks/run.h"
#include "support/cli.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;

TEST(AddingProblem, TwoMarkersOneInEachHalfAndTheTargetIsTheirSum) {
  auto b = data::adding_problem(20, 200, 7, 0);
  ASSERT_EQ(b.input.sizes(), torch::IntArrayRef({20, 200, 2}));
  auto markers = b.input.select(2, 1);
  EXPECT_TRUE(torch::equal(markers.sum(0), torch::full({200}, 2.0f)));
  EXPECT_TRUE(torch::equal(markers.slice(0, 0, 10).sum(0), torch::ones({200})));
  auto sum = (b.input.select(2, 0) * markers).sum(0);
  EXPECT_TRUE(torch::allclose(sum, b.target));
  // A pure function of (seed, index): the second half of a batch is a batch of its own.
  auto tail = data::adding_problem(20, 100, 7, 100);
  EXPECT_TRUE(torch::equal(tail.input, b.input.slice(1, 100)));
  EXPECT_FALSE(torch::equal(data::adding_problem(20, 100, 8, 100).input, tail.input));
  // The baseline the tasks quote: always predicting 1 gives MSE 1/6.
  auto many = data::adding_problem(10, 20000, 1, 0);
  EXPECT_NEAR((many.target - 1).pow(2).mean().item<double>(), 1.0 / 6, 0.005);
}

TEST(CopyTask, SymbolsThenDelayThenDelimiterThenRecall) {
  const int64_t delay = 6, length = 4;
  auto b = data::copy_task(delay, length, 50, 3, 0);
  const int64_t steps = delay + 2 * length;
  ASSERT_EQ(b.input.sizes(), torch::IntArrayRef({steps, 50, data::kCopyClasses}));
  auto ids = b.input.argmax(2);
  auto symbols = ids.slice(0, 0, length);
  EXPECT_TRUE((symbols >= 1).all().item<bool>() && (symbols <= 8).all().item<bool>());
  EXPECT_TRUE((ids[delay + length - 1] == 9).all().item<bool>());
  EXPECT_TRUE((ids.slice(0, length, delay + length - 1) == 0).all().item<bool>());
  EXPECT_TRUE(torch::equal(b.target.slice(0, delay + length), symbols));
  EXPECT_TRUE((b.target.slice(0, 0, delay + length) == 0).all().item<bool>());
  EXPECT_NE(test::error_of([] { data::copy_task(0, 4, 1, 0, 0); }).find("data.T"), std::string::npos);
}

Config tiny(const std::string& task, int steps) {
  Config cfg = Config::builtin(task);
  for (const std::string& s :
       {std::string("data.T=10"), std::string("data.eval_size=64"), std::string("model.hidden=32"),
        std::string("train.log_every=1"), std::string("train.checkpoint_every=0"), std::string("train.eval_every=0"),
        std::string("optim.lr=1e-2"), "train.steps=" + std::to_string(steps)})
    cfg.set_assignment(s);
  return cfg;
}

std::vector<double> train_values(const std::string& run, const std::string& key) {
  std::vector<double> v;
  for (const auto& r : MetricsLog::read(run + "/metrics.jsonl"))
    if (r.split == "train") v.push_back(r.values.at(key));
  return v;
}

double mean(const std::vector<double>& v, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

TEST(LongRangeTasks, AddingLossFallsAndTheRunHasTheGradientPicture) {
  test::TempDir dir;
  Config cfg = tiny("adding", 150);
  RunOptions options;
  options.out_dir = dir / "adding";
  options.progress = false;
  auto result = train_run(cfg, options);
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  auto loss = train_values(options.out_dir, "loss");
  ASSERT_EQ(loss.size(), 150u);
  // From the baseline (~0.17) to well below it on T = 10.
  EXPECT_LT(mean(loss, 130, 150), 0.5 * mean(loss, 0, 20));
  EXPECT_LT(result.final_metrics.at("test_mse"), 0.1);
  EXPECT_TRUE(result.final_metrics.count("solved"));
  EXPECT_TRUE(fs::exists(options.out_dir + "/images/gradients.png"));
  EXPECT_TRUE(fs::exists(options.out_dir + "/model.safetensors"));
}

// The copy task with truncated BPTT (k1 = 4, k2 = 8) and our own GRU cells: the loss falls.
TEST(LongRangeTasks, CopyTrainsWithTruncatedBptt) {
  test::TempDir dir;
  Config cfg = tiny("copy", 60);
  for (const char* s : {"data.T=4", "data.length=3", "model.cell=gru", "model.fused=false", "train.bptt_k1=4",
                        "train.bptt_k2=8"})
    cfg.set_assignment(s);
  RunOptions options;
  options.out_dir = dir / "copy";
  options.progress = false;
  auto result = train_run(cfg, options);
  auto loss = train_values(options.out_dir, "loss");
  ASSERT_EQ(loss.size(), 60u);
  EXPECT_LT(mean(loss, 50, 60), 0.8 * mean(loss, 0, 10));
  EXPECT_GE(result.final_metrics.at("test_accuracy"), 0.0);
  cfg.set_assignment("train.bptt_k2=2");
  EXPECT_NE(test::error_of([&] { train_run(cfg, options); }).find("must be at least k1"), std::string::npos);
}

/// One parameter, loss = 1000 * sum(p): its gradient (1000) is clamped to the clip value.
class SteepTask : public Task {
 public:
  SteepTask() { p_ = torch::zeros({3}, torch::requires_grad()); }
  NamedModules modules() override { return {}; }
  std::vector<OptimizedPart> parts() override { return {{"model", {p_}, "optim"}}; }
  int64_t steps_per_epoch() const override { return 1; }
  void seek(int64_t) override {}
  Metrics train_step(StepContext& ctx) override {
    ctx.optimize("model", 1000 * p_.sum());
    return {};
  }
  Metrics evaluate() override { return {}; }
  torch::Tensor p_;
};

TEST(TrainerClipping, ByValueClampsEveryGradientElement) {
  test::TempDir dir;
  Config cfg = Config::builtin("adding");
  for (const char* s : {"optim.name=sgd", "optim.lr=1.0", "optim.momentum=0.0", "train.clip_grad_norm=0",
                        "train.clip_grad_value=0.25", "train.checkpoint_every=0"})
    cfg.set_assignment(s);
  auto options = TrainerOptions::from_config(cfg).run_dir(dir / "run").steps(2).progress(false).visualize(false);
  EXPECT_EQ(options.clip_grad_value(), 0.25);
  auto task = std::make_shared<SteepTask>();
  Trainer(task, cfg, options).run();
  // Two SGD steps of lr 1 with the gradient 1000 clamped to 0.25.
  EXPECT_TRUE(torch::allclose(task->p_.detach(), torch::full({3}, -0.5f)));
  cfg.set_assignment("train.clip_grad_value=-1");
  EXPECT_NE(test::error_of([&] { TrainerOptions::from_config(cfg); }).find("must be >= 0"), std::string::npos);
}

TEST(SequenceCli, GradientsWritesThePlotAndTheNumbers) {
  test::TempDir dir;
  auto r = test::run_cli({"gradients", "--cell", "rnn,lstm", "--T", "30", "--hidden", "16", "--spectral-radius",
                          "0.5,1.5", "--out", dir / "g.png", "--csv", dir / "g.csv", "--jacobians", dir / "j.png"},
                         dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(test::contains(r.output, "rnn (radius 0.5)")) << r.output;
  EXPECT_TRUE(test::contains(r.output, "rnn (radius 1.5)"));
  EXPECT_TRUE(fs::exists(dir / "g.png") && fs::exists(dir / "j.png"));
  std::ifstream csv(dir / "g.csv");
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, 1 + 3 * 30);

  auto bad = test::run_cli({"gradients", "--cell", "lstn", "--out", dir / "x.png"}, dir / "log2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(test::contains(bad.output, "choose rnn, lstm or gru")) << bad.output;
}

TEST(SequenceCli, TrainAddingTakesCellAndT) {
  test::TempDir dir;
  auto r = test::run_cli({"train", "adding", "--cell", "gru", "--T", "8", "--set", "train.steps=3", "--set",
                          "data.eval_size=16", "--out", dir / "run"},
                         dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream config(dir / "run/config.yaml");
  std::stringstream text;
  text << config.rdbuf();
  EXPECT_TRUE(test::contains(text.str(), "cell: gru")) << text.str();
  EXPECT_TRUE(test::contains(text.str(), "T: 8"));
  auto bad = test::run_cli({"train", "vae", "--cell", "lstm", "--out", dir / "v"}, dir / "log2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(test::contains(bad.output, "--cell: model 'vae' has no recurrent cell")) << bad.output;
}

}  // namespace
}  // namespace beyond
