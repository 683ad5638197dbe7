// The Trainer around a tiny regression task: exact resume, SIGINT, the non-finite-loss guard,
// checkpoint cadence, schedules and clipping.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <optional>

#include "beyond/core/rng.h"
#include "beyond/core/safetensors.h"
#include "beyond/data/dataloader.h"
#include "beyond/engine/checkpoint.h"
#include "beyond/engine/config.h"
#include "beyond/engine/interrupt.h"
#include "beyond/engine/metrics_log.h"
#include "beyond/engine/optimizer.h"
#include "beyond/engine/trainer.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {
namespace fs = std::filesystem;

/// y = x w* + noise, fitted by an MLP with dropout, so the step uses the global RNG (dropout masks)
/// as well as the loader's shuffle: exact resume must restore both.
class TinyRegressionTask : public Task {
 public:
  explicit TinyRegressionTask(int64_t nan_at_step = -1, int64_t interrupt_at_step = -1)
      : nan_at_(nan_at_step), interrupt_at_(interrupt_at_step) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(123);
    auto x = torch::randn({96, 4}, gen);
    auto y = x.matmul(torch::tensor({1.0f, -2.0f, 0.5f, 3.0f}).unsqueeze(1)) + 0.1 * torch::randn({96, 1}, gen);
    loader_ = std::make_unique<data::DataLoader>(std::make_shared<data::TensorDataset>(x, y),
                                                 data::DataLoaderOptions().batch_size(16).seed(5).prefetch(1));
    x_ = x;
    y_ = y;
    net_ = torch::nn::Sequential(torch::nn::Linear(4, 16), torch::nn::Tanh(), torch::nn::Dropout(0.2),
                                 torch::nn::Linear(16, 1));
  }
  NamedModules modules() override {
    return {{"net", net_.ptr()}};
  }
  std::vector<OptimizedPart> parts() override {
    OptimizedPart part{"model", net_->parameters(), "optim"};
    if (first_layer_lr_scale_) part.scaled.push_back({net_[0]->parameters(), *first_layer_lr_scale_});
    return {part};
  }
  int64_t steps_per_epoch() const override { return loader_->batches_per_epoch(); }
  void seek(int64_t step) override { loader_->seek(step); }
  Metrics train_step(StepContext& ctx) override {
    auto b = loader_->next();
    auto loss = torch::mse_loss(net_->forward(b.data), b.target);
    if (ctx.step() == nan_at_) loss = loss * std::numeric_limits<float>::quiet_NaN();
    ctx.optimize("model", loss);
    if (ctx.step() == interrupt_at_) request_interrupt();
    return {{"loss", loss.item<double>()}};
  }
  Metrics evaluate() override { return {{"mse", torch::mse_loss(net_->forward(x_), y_).item<double>()}}; }

  torch::nn::Sequential net_{nullptr};
  std::optional<double> first_layer_lr_scale_;  ///< trains the first layer at this multiple of the lr

 private:
  int64_t nan_at_, interrupt_at_;
  std::unique_ptr<data::DataLoader> loader_;
  torch::Tensor x_, y_;
};

/// `extra_train` adds keys to the train section (", best_metric: mse").
Config tiny_config(const std::string& optimizer = "adam", const std::string& schedule = "cosine",
                   const std::string& extra_train = "") {
  return Config::from_yaml(
      "seed: 3\n"
      "optim: {name: " + optimizer + ", lr: 0.05, betas: [0.9, 0.999], eps: 1.0e-8, momentum: 0.9,\n"
      "        weight_decay: 0.0, schedule: " + schedule + ", warmup_steps: 3, step_size: 10, gamma: 0.5, min_lr: 0.0}\n"
      "train: {epochs: 1, steps: 30, clip_grad_norm: 1.0, log_every: 5, eval_every: 10, checkpoint_every: 4,\n"
      "        keep_last: 2" + extra_train + "}\n",
      "tiny");
}

TrainResult train(std::shared_ptr<TinyRegressionTask> task, const Config& cfg, const std::string& dir,
                  const std::string& resume = "") {
  auto options = TrainerOptions::from_config(cfg).run_dir(dir).resume(resume).progress(false).visualize(false);
  return Trainer(task, cfg, options).run();
}

std::shared_ptr<TinyRegressionTask> make_task(int64_t nan_at = -1, int64_t interrupt_at = -1) {
  seed_everything(3);  // as train_run does before building the task
  return std::make_shared<TinyRegressionTask>(nan_at, interrupt_at);
}

void expect_same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto sa = state_dict(a), sb = state_dict(b);
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& [k, v] : sa) EXPECT_TRUE(torch::equal(v, sb.at(k))) << k;
}

TEST(Trainer, TrainingLowersTheLoss) {
  test::TempDir dir;
  auto task = make_task();
  task->train_mode(false);
  const double before = task->evaluate().at("mse");
  task->train_mode(true);
  auto result = train(task, tiny_config(), dir / "run");
  EXPECT_EQ(result.status, TrainResult::Status::Completed);
  EXPECT_EQ(result.step, 30);
  EXPECT_LT(result.final_metrics.at("mse"), 0.5 * before);
}

TEST(Trainer, InterruptedAndResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  test::TempDir dir;
  auto straight = make_task();
  train(straight, tiny_config(), dir / "straight");

  // Stops after step index 12 (13 steps done): not a multiple of checkpoint_every, mid-epoch.
  auto first = make_task(-1, 12);
  auto stopped = train(first, tiny_config(), dir / "resumed");
  ASSERT_EQ(stopped.status, TrainResult::Status::Interrupted);
  EXPECT_EQ(stopped.step, 13);
  EXPECT_TRUE(fs::exists(stopped.checkpoint)) << stopped.checkpoint;

  auto second = make_task();  // a fresh process would build the task from scratch
  auto resumed = train(second, tiny_config(), dir / "resumed", "latest");
  ASSERT_EQ(resumed.status, TrainResult::Status::Completed);
  expect_same_weights(*straight->net_, *second->net_);

  // The metrics log of the resumed run has each step once, as the uninterrupted one.
  auto a = MetricsLog::read(dir / "straight/metrics.jsonl");
  auto b = MetricsLog::read(dir / "resumed/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].step, b[i].step);
}

TEST(Trainer, ExactResumeAlsoHoldsForSgdWithStepSchedule) {
  test::TempDir dir;
  auto straight = make_task();
  train(straight, tiny_config("sgd", "step"), dir / "a");
  auto first = make_task(-1, 7);
  train(first, tiny_config("sgd", "step"), dir / "b");
  auto second = make_task();
  train(second, tiny_config("sgd", "step"), dir / "b", "latest");
  expect_same_weights(*straight->net_, *second->net_);
}

TEST(Trainer, NonFiniteLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint) {
  test::TempDir dir;
  auto task = make_task(/*nan_at=*/10);
  try {
    train(task, tiny_config(), dir / "run");
    FAIL() << "expected NonFiniteLossError";
  } catch (const NonFiniteLossError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("step 10"), std::string::npos) << msg;
    EXPECT_NE(msg.find("step_00000008.pt"), std::string::npos) << msg;
  }
  CheckpointManager checkpoints(dir / "run", 2);
  ASSERT_FALSE(checkpoints.latest().empty());
  EXPECT_EQ(fs::path(checkpoints.latest()).filename(), "step_00000008.pt");
  // The kept checkpoint is loadable and finite.
  auto fresh = make_task();
  load_weights(fresh->modules(), checkpoints.latest());
  for (const auto& p : fresh->net_->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
}

TEST(Trainer, CheckpointsEveryNStepsKeepsTheLastKAndOneAtTheEnd) {
  test::TempDir dir;
  auto task = make_task();
  auto result = train(task, tiny_config(), dir / "run");
  CheckpointManager checkpoints(dir / "run", 2);
  auto list = checkpoints.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(fs::path(list[0]).filename(), "step_00000028.pt");
  EXPECT_EQ(fs::path(list[1]).filename(), "step_00000030.pt");
  EXPECT_EQ(result.checkpoint, list[1]);
  for (const auto& entry : fs::directory_iterator(dir / "run/checkpoints"))
    EXPECT_EQ(entry.path().extension(), ".pt") << "left-over temporary file " << entry.path();
}

TEST(Trainer, LogsTrainAndEvalRecordsToMetricsJsonl) {
  test::TempDir dir;
  auto task = make_task();
  train(task, tiny_config(), dir / "run");
  auto records = MetricsLog::read(dir / "run/metrics.jsonl");
  int train_records = 0, eval_records = 0;
  for (const auto& r : records) {
    if (r.split == "train") {
      ++train_records;
      EXPECT_TRUE(r.values.count("loss"));
      EXPECT_TRUE(r.values.count("lr/model"));
    } else {
      ++eval_records;
      EXPECT_TRUE(r.values.count("mse"));
    }
  }
  EXPECT_EQ(train_records, 6);  // every 5 of 30 steps
  EXPECT_EQ(eval_records, 3);   // steps 10, 20 and the final one
}

Config with_selection(const std::string& metric, const std::string& mode) {
  return tiny_config("adam", "cosine", ", best_metric: " + metric + ", best_mode: " + mode);
}

TEST(Trainer, ModelSelectionKeepsTheBestEvaluationAndRestoresItAtTheEnd) {
  test::TempDir dir;
  auto task = make_task();
  // The mse falls as training goes, so "max" selects the first evaluation (step 10): a selection that
  // differs from the last weights, which is the case worth testing.
  auto result = train(task, with_selection("mse", "max"), dir / "run");
  CheckpointManager checkpoints(dir / "run", 2);
  ASSERT_TRUE(fs::exists(checkpoints.best_path()));
  auto records = MetricsLog::read(dir / "run/metrics.jsonl");
  double first_eval = 0, last_eval = 0;
  for (const auto& r : records) {
    if (r.split != "eval") continue;
    if (r.step == 10) first_eval = r.values.at("mse");
    if (r.step == 30) last_eval = r.values.at("mse");
  }
  ASSERT_GT(first_eval, last_eval);
  EXPECT_DOUBLE_EQ(*checkpoints.best_value(), first_eval);
  EXPECT_DOUBLE_EQ(result.final_metrics.at("mse"), first_eval);
  ASSERT_EQ(records.back().split, "best");
  EXPECT_EQ(records.back().step, 10);

  // The final checkpoint and the weights in memory are the step-10 model.
  auto from_best = make_task();
  EXPECT_EQ(load_weights(from_best->modules(), checkpoints.best_path()), 10);
  expect_same_weights(*task->net_, *from_best->net_);
  auto from_last = make_task();
  load_weights(from_last->modules(), result.checkpoint);
  expect_same_weights(*task->net_, *from_last->net_);

  // "min" keeps the last evaluation, and then nothing is restored.
  auto plain = make_task();
  auto min_result = train(plain, with_selection("mse", "min"), dir / "min");
  EXPECT_DOUBLE_EQ(min_result.final_metrics.at("mse"), last_eval);
  EXPECT_EQ(MetricsLog::read(dir / "min/metrics.jsonl").back().split, "eval");
}

TEST(Trainer, ModelSelectionByAnUnknownMetricNamesTheTasksMetrics) {
  test::TempDir dir;
  auto task = make_task();
  try {
    train(task, with_selection("val_bpc", "min"), dir / "run");
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'val_bpc' is not among this task's evaluation metrics (mse)"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(TrainerOptions::from_config(with_selection("mse", "lowest")), UsageError);
}

TEST(Trainer, ScaledParameterGroupsTrainAtTheirMultipleOfTheLearningRate) {
  test::TempDir dir;
  // A multiplier of 0 freezes the first layer; the rest still learns.
  auto frozen = make_task();
  frozen->first_layer_lr_scale_ = 0.0;
  const auto first_before = frozen->net_[0]->parameters()[0].clone();
  const auto last_before = frozen->net_[3]->parameters()[0].clone();
  train(frozen, tiny_config("sgd", "step"), dir / "frozen");
  EXPECT_TRUE(torch::equal(frozen->net_[0]->parameters()[0], first_before));
  EXPECT_FALSE(torch::equal(frozen->net_[3]->parameters()[0], last_before));

  // With two groups, an interrupted and resumed run still ends where the uninterrupted one does.
  auto straight = make_task();
  straight->first_layer_lr_scale_ = 0.1;
  train(straight, tiny_config(), dir / "straight");
  auto first = make_task(-1, 9);
  first->first_layer_lr_scale_ = 0.1;
  train(first, tiny_config(), dir / "resumed");
  auto second = make_task();
  second->first_layer_lr_scale_ = 0.1;
  train(second, tiny_config(), dir / "resumed", "latest");
  expect_same_weights(*straight->net_, *second->net_);
  auto plain = make_task();
  train(plain, tiny_config(), dir / "plain");
  EXPECT_FALSE(torch::equal(plain->net_[0]->parameters()[0], straight->net_[0]->parameters()[0]));
}

TEST(Optimizer, ParameterGroupsSplitThePartAndCarryTheirLearningRates) {
  auto a = torch::zeros({2}, torch::requires_grad()), b = torch::zeros({3}, torch::requires_grad()),
       c = torch::zeros({4}, torch::requires_grad());
  auto groups = parameter_groups({a, b, c}, {{{b}, 0.1}});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].parameters.size(), 2u);  // a and c, at the section's rate
  EXPECT_EQ(groups[0].lr_scale, 1.0);
  EXPECT_TRUE(groups[1].parameters[0].is_same(b));

  auto opt = make_optimizer(tiny_config(), "optim", groups);
  ASSERT_EQ(opt->param_groups().size(), 2u);
  EXPECT_DOUBLE_EQ(opt->param_groups()[0].options().get_lr(), 0.05);
  EXPECT_DOUBLE_EQ(opt->param_groups()[1].options().get_lr(), 0.005);
  set_learning_rate(*opt, 0.2, {1.0, 0.1});
  EXPECT_DOUBLE_EQ(opt->param_groups()[1].options().get_lr(), 0.02);
  EXPECT_THROW(set_learning_rate(*opt, 0.2, {1.0}), Error);

  EXPECT_THROW(parameter_groups({a, b}, {{{b}, 0.1}, {{b}, 0.5}}), Error);  // b twice
  EXPECT_THROW(parameter_groups({a}, {{{c}, 0.1}}), Error);                 // c is not in the part
  EXPECT_THROW(make_optimizer(tiny_config(), "optim", {{{a}, 1.0}, {{b}, -1.0}}), UsageError);
}

TEST(Trainer, ResumeWithoutCheckpointIsAUsageError) {
  test::TempDir dir;
  auto task = make_task();
  EXPECT_THROW(train(task, tiny_config(), dir / "empty", "latest"), UsageError);
}

}  // namespace
}  // namespace beyond
