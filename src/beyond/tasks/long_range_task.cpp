#include "beyond/tasks/long_range_task.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/data/generators/long_range.h"
#include "beyond/engine/config.h"
#include "beyond/models/sequence/gradient_diagnostics.h"
#include "beyond/tasks/recurrent_config.h"
#include "beyond/viz/plot.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {
/// Test sequences come from another stream than any training batch.
constexpr uint64_t kTestStream = 0x7e57ULL << 40;
}  // namespace

LongRangeTask::LongRangeTask(const Config& cfg) {
  const std::string task = cfg.get_string("task");
  BEYOND_CHECK_USAGE(task == "adding" || task == "copy", "LongRangeTask runs `adding` or `copy`, not '", task, "'");
  copy_ = task == "copy";
  delay_ = cfg.get_int("data.T");
  length_ = copy_ ? cfg.get_int("data.length") : 0;
  batch_size_ = cfg.get_int("data.batch_size");
  eval_size_ = cfg.get_int("data.eval_size");
  BEYOND_CHECK_USAGE(delay_ >= (copy_ ? 1 : 2), "data.T must be >= ", copy_ ? 1 : 2, ", got ", delay_);
  BEYOND_CHECK_USAGE(batch_size_ > 0 && eval_size_ > 0, "data.batch_size and data.eval_size must be positive, got ",
                     batch_size_, " and ", eval_size_);
  steps_per_epoch_ = cfg.get_int("data.steps_per_epoch");
  seed_ = static_cast<uint64_t>(cfg.get_int("seed"));
  solved_threshold_ = cfg.get_double(copy_ ? "eval.solved_accuracy" : "eval.solved_mse");
  bptt_.k1(cfg.get_int("train.bptt_k1")).k2(cfg.get_int("train.bptt_k2"));
  const int64_t inputs = copy_ ? data::kCopyClasses : 2, outputs = copy_ ? data::kCopyClasses : 1;
  const int64_t hidden = cfg.get_int("model.hidden");
  rnn_ = models::Recurrent(models::RecurrentOptions(models::parse_cell_kind(cfg.get_string("model.cell")), inputs, hidden)
                               .num_layers(cfg.get_int("model.num_layers"))
                               .dropout(cfg.get_double("model.dropout"))
                               .forget_bias(cfg.get_double("model.forget_bias"))
                               .fused(cfg.get_bool("model.fused"))
                               .sequence_kernel(sequence_kernel(cfg)));
  head_ = torch::nn::Linear(hidden, outputs);
  test_ = batch(eval_size_, seed_, kTestStream);
  // Validate the BPTT settings now rather than at the first step.
  models::bptt_windows(test_.input.size(0), bptt_);
}

NamedModules LongRangeTask::modules() { return {{"rnn", rnn_.ptr()}, {"head", head_.ptr()}}; }

std::vector<OptimizedPart> LongRangeTask::parts() {
  auto params = rnn_->parameters();
  for (auto& p : head_->parameters()) params.push_back(p);
  return {{"model", params, "optim"}};
}

LongRangeTask::Batch LongRangeTask::batch(int64_t count, uint64_t seed, uint64_t first_index) const {
  auto b = copy_ ? data::copy_task(delay_, length_, count, seed, first_index)
                 : data::adding_problem(delay_, count, seed, first_index);
  return {b.input, b.target};
}

std::pair<torch::Tensor, models::RecurrentState> LongRangeTask::run(const torch::Tensor& input,
                                                                    const models::RecurrentState& s) {
  auto [hidden, state] = rnn_->forward(input, s);
  return {head_->forward(hidden), state};
}

torch::Tensor LongRangeTask::window_loss(const torch::Tensor& outputs, const torch::Tensor& target, int64_t begin,
                                         int64_t end, int64_t steps) const {
  if (!copy_) {
    if (end < steps) return {};  // the adding problem's only target is at the last step
    return torch::mse_loss(outputs[-1].squeeze(-1), target);
  }
  return torch::cross_entropy_loss(outputs.reshape({-1, data::kCopyClasses}), target.slice(0, begin, end).reshape(-1));
}

Metrics LongRangeTask::train_step(StepContext& ctx) {
  const int64_t step = next_step_++;
  Batch b = batch(batch_size_, seed_, static_cast<uint64_t>(step) * static_cast<uint64_t>(batch_size_));
  const int64_t steps = b.input.size(0);
  models::RecurrentState state;  // every sequence starts from zeros
  torch::Tensor last_outputs;
  const double loss = models::train_bptt(
      b.input, state, bptt_, [&](const torch::Tensor& x, const models::RecurrentState& s) { return run(x, s); },
      [&](const torch::Tensor& out, int64_t begin, int64_t end) {
        if (end == steps) last_outputs = out.detach();
        return window_loss(out, b.target, begin, end, steps);
      },
      [&](const torch::Tensor& l) { ctx.optimize("model", l); });
  Metrics m{{"loss", loss}};
  if (!copy_ || last_outputs.size(0) >= length_) {
    // Training score of the batch from the last window's outputs (they cover the targets).
    torch::Tensor tail = copy_ ? last_outputs.slice(0, last_outputs.size(0) - length_) : last_outputs;
    for (const auto& [k, v] : score(tail, copy_ ? b.target.slice(0, steps - length_) : b.target))
      if (k != "solved") m[k.substr(5)] = v;  // "test_mse" -> "mse"
  }
  return m;
}

Metrics LongRangeTask::score(const torch::Tensor& outputs, const torch::Tensor& target) const {
  if (!copy_) {
    const double mse = torch::mse_loss(outputs[-1].squeeze(-1), target).item<double>();
    return {{"test_mse", mse}, {"solved", mse < solved_threshold_ ? 1.0 : 0.0}};
  }
  // The recalled symbols: the last `length` steps.
  torch::Tensor recall = outputs.slice(0, outputs.size(0) - length_).argmax(-1);
  const double acc = recall.eq(target.slice(0, target.size(0) - length_)).to(torch::kFloat64).mean().item<double>();
  return {{"test_accuracy", acc}, {"solved", acc >= solved_threshold_ ? 1.0 : 0.0}};
}

Metrics LongRangeTask::evaluate() {
  auto [outputs, state] = run(test_.input, {});
  Metrics m = score(outputs, test_.target);
  const int64_t steps = test_.input.size(0);
  m["test_loss"] = window_loss(outputs, test_.target, 0, steps, steps).item<double>();
  return m;
}

std::vector<std::string> LongRangeTask::visualize(const std::string& dir) {
  if (rnn_->options().num_layers() != 1) return {};  // the trace is defined for one layer
  torch::AutoGradMode grad_on(true);  // the Trainer calls this under NoGradGuard
  const int64_t n = std::min<int64_t>(eval_size_, 32);
  // On float64 copies: a vanilla RNN's gradient leaves float32's range within ~40 steps.
  auto rnn = std::dynamic_pointer_cast<models::RecurrentImpl>(rnn_->clone());
  auto head = std::dynamic_pointer_cast<torch::nn::LinearImpl>(head_->clone());
  rnn->to(torch::kFloat64);
  head->to(torch::kFloat64);
  torch::Tensor x = test_.input.narrow(1, 0, n).to(torch::kFloat64), target = test_.target.narrow(-1, 0, n);
  if (!copy_) target = target.to(torch::kFloat64);
  const int64_t steps = x.size(0);
  auto trace = models::trace_gradients(*rnn, x, [&](const torch::Tensor& hidden) {
    return window_loss(head->forward(hidden), target, 0, steps, steps);
  }, /*jacobians=*/false);
  viz::Series s{models::cell_kind_name(rnn_->options().cell()), {}, {}};
  for (int64_t t = 0; t < steps; ++t) {
    s.x.push_back(static_cast<double>(t));
    s.y.push_back(trace.grad_norm[static_cast<size_t>(t)]);
  }
  viz::PlotOptions o;
  o.title = std::string(copy_ ? "copy" : "adding") + ": ||dL/dh_t|| on test sequences";
  o.xlabel = "t";
  o.ylabel = "||dL/dh_t||";
  o.log_y = true;
  fs::create_directories(dir);
  viz::line_plot({s}, o, (fs::path(dir) / "gradients.png").string());
  return {"gradients.png"};
}

}  // namespace beyond
