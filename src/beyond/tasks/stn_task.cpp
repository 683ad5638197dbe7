#include "beyond/tasks/stn_task.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/fashion_mnist.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/fashion_data.h"
#include "beyond/viz/grid.h"
#include "beyond/viz/plot.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {

// Streams of the distortions generator: one per use, so that no two sets share a distortion.
constexpr uint64_t kTrainStream = 0, kTestStream = 1, kAugmentStream = 2;

models::StnClassifierOptions classifier_options(const Config& cfg, int64_t canvas) {
  const std::string kind = cfg.get_string("model.kind");
  BEYOND_CHECK_USAGE(kind == "fcn" || kind == "cnn" || kind == "st-fcn" || kind == "st-cnn",
                     "model.kind must be fcn, cnn, st-fcn or st-cnn, got '", kind, "'");
  const bool fcn = kind == "fcn" || kind == "st-fcn";
  return models::StnClassifierOptions(fcn ? "fcn" : "cnn", 1, {canvas, canvas})
      .num_classes(cfg.get_int("model.num_classes"))
      .hidden(cfg.get_int(fcn ? "model.fcn_hidden" : "model.cnn_hidden"))
      .channels(cfg.get_ints("model.cnn_channels"));
}

/// The transformer of an ST model whose backbone is `plain`, placed after stn.after_conv conv stages.
models::SpatialTransformerOptions transformer_options(const Config& cfg, const models::StnClassifierOptions& plain) {
  const bool fcn = plain.backbone() == "fcn";
  const int64_t after = cfg.get_int("stn.after_conv");
  BEYOND_CHECK_USAGE(after >= 0 && (fcn ? after == 0 : after <= static_cast<int64_t>(plain.channels().size())),
                     "stn.after_conv must be in [0, ", fcn ? 0 : plain.channels().size(), "] for ",
                     cfg.get_string("model.kind"), " (conv stages before the transformer), got ", after);
  const int64_t channels = after == 0 ? plain.in_channels() : plain.channels()[after - 1];
  const int64_t size = plain.input_size()[0] >> after;  // each conv stage halves the size
  const int64_t out = cfg.get_int("stn.output_size") > 0 ? cfg.get_int("stn.output_size") : size;
  std::string loc = cfg.get_string("stn.localisation");
  BEYOND_CHECK_USAGE(loc == "auto" || loc == "conv" || loc == "mlp", "stn.localisation must be auto, conv or mlp, got '",
                     loc, "'");
  if (loc == "auto") loc = fcn ? "mlp" : "conv";  // the paper's ST-FCN has a fully connected localisation net
  return models::SpatialTransformerOptions(channels, {size, size}, {out, out})
      .transform(models::parse_transform_kind(cfg.get_string("stn.transform")))
      .localisation(loc)
      .loc_channels(cfg.get_ints("stn.loc_channels"))
      .loc_hidden(cfg.get_ints("stn.loc_hidden"))
      .tps_grid(cfg.get_int("stn.tps_grid"))
      .count(cfg.get_int("stn.count"))
      .projective_eps(cfg.get_double("stn.projective_eps"));
}

}  // namespace

StnTask::StnTask(const Config& cfg) {
  distortion_ = data::DistortionOptions(data::parse_distortion(cfg.get_string("data.distortion")))
                    .seed(static_cast<uint64_t>(cfg.get_int("seed")))
                    .projective_std(cfg.get_double("data.projective_std"))
                    .elastic_alpha(cfg.get_double("data.elastic_alpha"))
                    .elastic_sigma(cfg.get_double("data.elastic_sigma"))
                    .clutter_pieces(cfg.get_int("data.clutter_pieces"))
                    .clutter_piece_size(cfg.get_int("data.clutter_piece_size"));
  augment_ = cfg.get_bool("data.augment");
  batch_size_ = cfg.get_int("data.batch_size");
  theta_every_ = cfg.get_int("stn.theta_every");
  // Run directories from before the key existed trained the transformer at the classifier's rate.
  loc_lr_scale_ = cfg.has("stn.loc_lr_scale") ? cfg.get_double("stn.loc_lr_scale") : 1.0;
  BEYOND_CHECK_USAGE(loc_lr_scale_ >= 0, "stn.loc_lr_scale must be >= 0 (a multiple of optim.lr), got ", loc_lr_scale_);
  const int64_t canvas = data::distortion_canvas(distortion_.kind());

  // Model: the plain one, or the ST one with the plain one's parameter budget.
  const std::string kind = cfg.get_string("model.kind");
  auto plain = classifier_options(cfg, canvas);
  auto options = plain;
  if (kind.rfind("st-", 0) == 0) {
    options.transformer(transformer_options(cfg, plain)).transformer_after(cfg.get_int("stn.after_conv"));
    if (cfg.get_bool("model.match_budget"))
      options.hidden(models::budget_matched_hidden(options, models::parameter_count(*models::StnClassifier(plain))));
  }
  model_ = models::StnClassifier(options);
  log::info(str("stn: ", kind, " on '", data::distortion_name(distortion_.kind()), "' (", canvas, "x", canvas,
                "), hidden ", options.hidden(), ", ", models::parameter_count(*model_), " parameters",
                augment_ ? ", fresh distortions every step" : ", a fixed distorted training set"));

  // Data.
  const std::string root = cfg.get_string("data.root");
  auto train = data::load_fashion_mnist(root, "train", cfg.get_int("data.train_limit"));
  auto test = data::load_fashion_mnist(root, "test", cfg.get_int("data.test_limit"));
  train_clean_ = train.images;
  test_images_ = data::distort(test.images, distortion_, kTestStream, 0, test.images);
  test_labels_ = test.labels;
  auto train_set = augment_ ? train.images : data::distort(train.images, distortion_, kTrainStream, 0, train.images);
  loader_ = std::make_unique<data::DataLoader>(
      std::make_shared<data::TensorDataset>(train_set, train.labels),
      data::DataLoaderOptions().batch_size(batch_size_).shuffle(true).drop_last(true).seed(
          static_cast<uint64_t>(cfg.get_int("seed"))).prefetch(cfg.get_int("data.prefetch")));
  theta_probe_ = test_images_.slice(0, 0, std::min<int64_t>(cfg.get_int("stn.theta_images"), test_images_.size(0)));
}

NamedModules StnTask::modules() { return {{"classifier", model_.ptr()}}; }

std::vector<OptimizedPart> StnTask::parts() {
  OptimizedPart part{"model", model_->parameters(), "optim"};
  if (has_transformer() && loc_lr_scale_ != 1.0) part.scaled.push_back({model_->transformer()->parameters(), loc_lr_scale_});
  return {part};
}

void StnTask::record_theta(int64_t step) {
  if (!has_transformer()) return;
  torch::NoGradGuard no_grad;
  theta_history_.emplace_back(step, model_->theta(theta_probe_).clone());
}

Metrics StnTask::train_step(StepContext& ctx) {
  if (theta_every_ > 0 && ctx.step() % theta_every_ == 0) record_theta(ctx.step());
  const int64_t position = loader_->position();
  auto batch = loader_->next();
  auto x = augment_ ? data::distort(batch.data, distortion_, kAugmentStream, position * batch_size_, train_clean_)
                    : batch.data;
  auto logits = model_->forward(x);
  auto loss = torch::cross_entropy_loss(logits, batch.target);
  ctx.optimize("model", loss);
  steps_done_ = ctx.step() + 1;
  return {{"loss", loss.item<double>()},
          {"accuracy", logits.argmax(1).eq(batch.target).to(torch::kFloat64).mean().item<double>()}};
}

Metrics StnTask::evaluate() {
  if (theta_history_.empty() || theta_history_.back().first != steps_done_) record_theta(steps_done_);
  auto logits = map_chunks(test_images_, 500, [&](const torch::Tensor& x) { return model_->forward(x); });
  const double accuracy = logits.argmax(1).eq(test_labels_).to(torch::kFloat64).mean().item<double>();
  return {{"test_loss", torch::cross_entropy_loss(logits, test_labels_).item<double>()},
          {"test_accuracy", accuracy},
          {"test_error", 100.0 * (1.0 - accuracy)},
          {"parameters", static_cast<double>(models::parameter_count(*model_))}};
}

std::vector<torch::Tensor> StnTask::rectified_rows(const torch::Tensor& x, const torch::Tensor& theta) {
  auto out = model_->warp_input(x, theta);  // [n, count, H, W] (one channel each)
  std::vector<torch::Tensor> rows;
  for (int64_t k = 0; k < out.size(1); ++k) rows.push_back(out.slice(1, k, k + 1).clamp(0, 1));
  return rows;
}

void StnTask::save_rectified(int64_t n, const std::string& path) {
  BEYOND_CHECK_USAGE(n > 0, "--n must be positive, got ", n);
  torch::NoGradGuard no_grad;
  auto x = test_images_.slice(0, 0, std::min(n, test_images_.size(0)));
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < x.size(0); i += 8) {
    auto chunk = x.slice(0, i, std::min(x.size(0), i + 8));
    rows.push_back(chunk);
    if (has_transformer())
      for (auto& r : rectified_rows(chunk, model_->theta(chunk))) rows.push_back(r);
  }
  viz::save_grid(torch::cat(rows, 0), path, std::min<int64_t>(8, x.size(0)));
}

std::vector<std::string> StnTask::visualize(const std::string& dir) {
  save_rectified(16, (fs::path(dir) / "rectified.png").string());
  std::vector<std::string> files = {"rectified.png"};
  if (!has_transformer() || theta_history_.empty()) return files;
  torch::NoGradGuard no_grad;
  // At most 10 recorded steps, evenly spread, first and last included.
  std::vector<size_t> picked;
  const size_t count = theta_history_.size(), rows = std::min<size_t>(10, count);
  for (size_t r = 0; r < rows; ++r) picked.push_back(rows == 1 ? 0 : r * (count - 1) / (rows - 1));
  std::vector<torch::Tensor> images = {theta_probe_};
  for (size_t i : picked) images.push_back(rectified_rows(theta_probe_, theta_history_[i].second)[0]);
  viz::save_grid(torch::cat(images, 0), (fs::path(dir) / "theta_evolution.png").string(), theta_probe_.size(0));
  files.push_back("theta_evolution.png");

  // Every parameter of the first transformer of the first probe image over the steps (at most 8 lines).
  const auto kind = model_->transformer()->options.transform();
  const int64_t p = model_->transformer()->grid_generator().parameter_count();
  std::vector<viz::Series> series;
  for (int64_t j = 0; j < std::min<int64_t>(p, 8); ++j) {
    viz::Series s;
    s.name = "theta[" + std::to_string(j) + "]";
    for (const auto& [step, theta] : theta_history_) {
      s.x.push_back(static_cast<double>(step));
      s.y.push_back(theta[0][0][j].item<double>());
    }
    series.push_back(s);
  }
  viz::line_plot(series, {"theta of test image 0 (" + models::transform_kind_name(kind) + ")", "step", "value"},
                 (fs::path(dir) / "theta_curves.png").string());
  files.push_back("theta_curves.png");

  nlohmann::json j;
  j["transform"] = models::transform_kind_name(kind);
  j["images"] = theta_probe_.size(0);
  j["steps"] = nlohmann::json::array();
  j["theta"] = nlohmann::json::array();  // [record][image][transformer][parameter]
  for (const auto& [step, theta] : theta_history_) {
    j["steps"].push_back(step);
    auto t = theta.to(torch::kFloat64).contiguous();
    nlohmann::json per_image = nlohmann::json::array();
    for (int64_t i = 0; i < t.size(0); ++i) {
      nlohmann::json per_st = nlohmann::json::array();
      for (int64_t k = 0; k < t.size(1); ++k) {
        auto row = t[i][k];
        per_st.push_back(std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + row.numel()));
      }
      per_image.push_back(per_st);
    }
    j["theta"].push_back(per_image);
  }
  write_file_atomic((fs::path(dir) / "theta.json").string(), j.dump() + "\n");
  return files;
}

}  // namespace beyond
