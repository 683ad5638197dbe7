#include "beyond/tasks/segmentation_task.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/dataloader.h"
#include "beyond/data/transforms/functional.h"
#include "beyond/data/transforms/transform.h"
#include "beyond/eval/boundary_f_score.h"
#include "beyond/eval/semantic_segmentation_tensor.h"
#include "beyond/losses/pixel_cross_entropy.h"
#include "beyond/tasks/detector_weights.h"
#include "beyond/tasks/segmenter.h"
#include "beyond/viz/grid.h"
#include "beyond/viz/label_colors.h"

namespace beyond {

namespace fs = std::filesystem;

SegmentationData::SegmentationData(const std::string& root, const std::string& split) {
  const auto annotations = fs::path(root) / "annotations" / ("instances_" + split + ".json");
  BEYOND_CHECK(fs::exists(annotations), "segmentation data: ", annotations.string(), " does not exist; data.root must be "
               "a folder written by `beyond data scenes --out DIR` (or laid out the same way) with a '", split, "' split");
  const auto labels = fs::path(root) / split / "labels";
  BEYOND_CHECK(fs::is_directory(labels), "segmentation data: ", labels.string(), " does not exist; the '", split,
               "' split needs label PNGs (0 background, category id, 255 ignore) named as its images");
  coco_ = std::make_shared<data::CocoDetection>(
      data::CocoDetectionOptions(annotations.string(), (fs::path(root) / split / "images").string())
          .semantic_dir(labels.string())
          .masks(false));
  lut_.assign(256, -1);
  lut_[0] = 0;
  lut_[data::kIgnoreLabel] = data::kIgnoreLabel;
  for (int64_t id : coco_->category_ids()) {
    BEYOND_CHECK(id >= 1 && id < data::kIgnoreLabel, annotations.string(), ": category id ", id,
                 " cannot be stored in a label PNG (ids must be 1..254; 0 is background, 255 ignore)");
    lut_[static_cast<size_t>(id)] = coco_->label(id);
  }
}

std::string SegmentationData::label_path(int64_t index) const {
  const auto& info = coco_->dataset().images.at(static_cast<size_t>(index));
  return (fs::path(coco_->options().semantic_dir()) / fs::path(info.file_name).replace_extension(".png")).string();
}

std::vector<std::string> SegmentationData::class_names() const {
  std::vector<std::string> names{"background"};
  for (const auto& c : categories_in_label_order(*coco_)) names.push_back(c.name);
  return names;
}

data::Sample SegmentationData::get(int64_t index) const {
  auto s = coco_->get(index);
  s.target = Instances(s.height(), s.width());
  s.target.set_boxes(Boxes(torch::zeros({0, 4})));
  s.target.set_labels(torch::zeros({0}, torch::kInt64));
  const auto values = s.semantic.to(torch::kInt64);
  BEYOND_CHECK(values.min().item<int64_t>() >= 0 && values.max().item<int64_t>() <= 255, label_path(index),
               ": label values must lie in 0..255");
  const auto classes = torch::tensor(lut_, torch::kInt64).index_select(0, values.flatten()).view(values.sizes());
  const auto bad = classes < 0;
  if (bad.any().item<bool>()) {
    const auto at = bad.nonzero()[0];
    const int64_t y = at[0].item<int64_t>(), x = at[1].item<int64_t>();
    throw Error(str(label_path(index), ": label ", values[y][x].item<int64_t>(), " at row ", y, ", column ", x,
                    " is neither 0 (background), 255 (ignore) nor a category id of ",
                    coco_->options().annotation_file(), "; fix the label PNG or add the category"));
  }
  s.semantic = classes;
  return s;
}

SegmentationTask::SegmentationTask(const Config& cfg) : cfg_(cfg) {
  const auto root = cfg.get_string("data.root");
  train_data_ = std::make_unique<SegmentationData>(root, cfg.get_string("data.train_split"));
  eval_data_ = std::make_unique<SegmentationData>(root, cfg.get_string("data.eval_split"));
  BEYOND_CHECK(train_data_->coco().category_ids() == eval_data_->coco().category_ids(), "segmentation data: the ",
               cfg.get_string("data.train_split"), " and ", cfg.get_string("data.eval_split"),
               " splits have different categories");
  const int64_t limit = cfg.get_int("data.train_limit");
  eval_limit_ = cfg.get_int("data.eval_limit");
  BEYOND_CHECK_USAGE(limit >= 0 && eval_limit_ >= 0, "data.train_limit and data.eval_limit must be >= 0");
  train_count_ = limit > 0 ? std::min(limit, train_data_->size()) : train_data_->size();
  batch_size_ = cfg.get_int("data.batch_size");
  BEYOND_CHECK_USAGE(batch_size_ > 0, "data.batch_size must be positive, got ", batch_size_);
  crop_size_ = cfg.get_int("data.crop_size");
  scale_min_ = cfg.get_double("data.scale_min");
  scale_max_ = cfg.get_double("data.scale_max");
  BEYOND_CHECK_USAGE(crop_size_ >= 0 && scale_min_ > 0 && scale_max_ >= scale_min_ && cfg.get_double("data.eval_scale") > 0,
                     "data: crop_size must be >= 0 and 0 < scale_min <= scale_max, eval_scale > 0; got crop_size ",
                     crop_size_, ", scales [", scale_min_, ", ", scale_max_, "], eval_scale ",
                     cfg.get_double("data.eval_scale"));
  flip_ = cfg.get_bool("data.flip");
  seed_ = static_cast<uint64_t>(cfg.get_int("seed"));
  pictures_ = cfg.get_int("eval.pictures");
  tolerance_ = cfg.get_double("eval.boundary_tolerance");
  model_ = models::Fcn(fcn_options(cfg, train_data_->num_classes()));
  BEYOND_CHECK_USAGE(model_->options.num_classes() == train_data_->num_classes(), "model.num_classes is ",
                     model_->options.num_classes(), " but the data has ", train_data_->num_classes(),
                     " classes (background + categories); set it to 0");
  // Channels-last: oneDNN's fast layout for the convolutions, and ATen's vectorised max-pooling (1.3x per
  // step for fcn8s_small on one core); the weights are saved and loaded as usual.
  if (cfg.has("model.channels_last") && cfg.get_bool("model.channels_last")) model_->set_channels_last(true);
  if (cfg.has("model.init_weights")) init_weights_ = cfg.get_string("model.init_weights");
  if (crf_rnn_enabled(cfg)) crf_ = models::CrfRnn(crf_rnn_options(cfg, train_data_->num_classes()));
  const auto weights = cfg.get_doubles("data.class_weights");
  if (!weights.empty()) {
    BEYOND_CHECK_USAGE(static_cast<int64_t>(weights.size()) == train_data_->num_classes(), "data.class_weights needs ",
                       train_data_->num_classes(), " values (background first), got ", weights.size());
    class_weights_ = torch::tensor(weights, torch::kFloat32);
  }
  BEYOND_CHECK(steps_per_epoch() > 0, "segmentation data: ", train_count_, " training images (data.train_limit ",
               limit, ") are fewer than one batch of ", batch_size_);
}

NamedModules SegmentationTask::modules() {
  NamedModules modules{{"model", model_.ptr()}};
  if (!crf_.is_empty()) modules.emplace_back("crf", crf_.ptr());
  return modules;
}

std::vector<OptimizedPart> SegmentationTask::parts() {
  std::vector<torch::Tensor> trainable;
  for (const auto& p : model_->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  if (!crf_.is_empty())
    for (const auto& p : crf_->parameters())
      if (p.requires_grad()) trainable.push_back(p);
  return {{"model", trainable, "optim"}};
}

std::pair<torch::Tensor, torch::Tensor> SegmentationTask::batch(int64_t step) const {
  // Every random choice is drawn first, in a fixed order, from sizes the annotation file states; the
  // images are then read and transformed in parallel (reading and resizing were ~1/4 of a step).
  struct Plan {
    int64_t index = 0, height = 0, width = 0, top = 0, left = 0, crop_h = 0, crop_w = 0;
    bool flip = false;
  };
  auto generator = data::transforms::make_generator(seed_ * 1000003ull + static_cast<uint64_t>(step));
  const int64_t per_epoch = steps_per_epoch();
  const auto order = data::detail::shuffled_order(train_count_, seed_, step / per_epoch);
  const int64_t first = (step % per_epoch) * batch_size_;
  std::vector<Plan> plans(static_cast<size_t>(batch_size_));
  for (int64_t b = 0; b < batch_size_; ++b) {
    auto& p = plans[static_cast<size_t>(b)];
    p.index = order[static_cast<size_t>(first + b)];
    const auto& info = train_data_->coco().dataset().images.at(static_cast<size_t>(p.index));
    const double scale = data::transforms::detail::uniform(generator, scale_min_, scale_max_);
    p.height = std::max<int64_t>(1, std::llround(static_cast<double>(info.height) * scale));
    p.width = std::max<int64_t>(1, std::llround(static_cast<double>(info.width) * scale));
    p.crop_h = crop_size_ > 0 ? std::min(crop_size_, p.height) : p.height;
    p.crop_w = crop_size_ > 0 ? std::min(crop_size_, p.width) : p.width;
    p.top = data::transforms::detail::randint(generator, 0, p.height - p.crop_h);
    p.left = data::transforms::detail::randint(generator, 0, p.width - p.crop_w);
    p.flip = flip_ && data::transforms::detail::uniform(generator, 0, 1) < 0.5;
  }
  int64_t h = 0, w = 0;
  for (const auto& p : plans) h = std::max(h, p.crop_h), w = std::max(w, p.crop_w);
  // Padding: zeros (the mean colour once normalised) in the images, the ignore label in the labels.
  auto images = torch::zeros({batch_size_, 3, h, w});
  auto labels = torch::full({batch_size_, h, w}, data::kIgnoreLabel, torch::kInt64);
  const auto mean = cfg_.get_doubles("model.image_mean"), std = cfg_.get_doubles("model.image_std");
  at::parallel_for(0, batch_size_, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const auto& p = plans[static_cast<size_t>(b)];
      auto s = train_data_->get(p.index);
      if (s.height() != p.height || s.width() != p.width) data::transforms::resize(s, p.height, p.width);
      if (p.crop_h != p.height || p.crop_w != p.width) data::transforms::crop(s, p.top, p.left, p.crop_h, p.crop_w);
      if (p.flip) data::transforms::hflip(s, {});
      images[b].slice(1, 0, p.crop_h).slice(2, 0, p.crop_w).copy_(data::transforms::normalize(s.image, mean, std));
      labels[b].slice(0, 0, p.crop_h).slice(1, 0, p.crop_w).copy_(s.semantic);
    }
  });
  return {images, labels};
}

Metrics SegmentationTask::train_step(StepContext& ctx) {
  // The starting weights are read when training starts from step 0, not when the task is built: a
  // resumed run has them in its checkpoint, and evaluating a finished run must not need the file.
  if (step_ == 0 && !init_weights_.empty()) {
    load_fcn_weights(model_, init_weights_);
    log::info(str("segmentation: FCN initialised from ", init_weights_));
    init_weights_.clear();
  }
  const auto [images, labels] = batch(step_);
  model_->train();
  auto logits = model_->forward(images);
  if (!crf_.is_empty()) {
    crf_->train();
    logits = crf_->forward(logits, denormalized_rgb(images, cfg_));
  }
  const auto loss = losses::pixel_cross_entropy(logits, labels, losses::PixelCrossEntropyOptions().class_weights(class_weights_));
  ctx.optimize("model", loss);
  ++step_;
  return {{"loss", loss.item<double>()}};
}

Metrics SegmentationTask::evaluate() {
  torch::NoGradGuard no_grad;
  model_->eval();
  if (!crf_.is_empty()) crf_->eval();
  const int64_t n = eval_limit_ > 0 ? std::min(eval_limit_, eval_data_->size()) : eval_data_->size();
  const int64_t classes = eval_data_->num_classes();
  eval::SemanticSegmentationEvaluator regions(classes, data::kIgnoreLabel);
  eval::BoundaryFScoreEvaluator boundaries(classes, data::kIgnoreLabel,
                                           eval::BoundaryFScoreOptions().tolerance_px(tolerance_));
  for (int64_t i = 0; i < n; ++i) {
    const auto s = eval_data_->get(i);
    const auto where = eval_data_->label_path(i);
    const auto prediction = segment_image(model_, s.image, cfg_, 0, crf_).argmax(0).contiguous();
    const auto truth = s.semantic.contiguous();
    eval::process(regions, prediction, truth, where);
    boundaries.process(prediction.data_ptr<int64_t>(), truth.data_ptr<int64_t>(), truth.size(0), truth.size(1), where);
  }
  const auto r = regions.evaluate();
  const auto bf = boundaries.evaluate();
  const auto names = eval_data_->class_names();
  log::info(r.summary(names));
  log::info(bf.summary(names));
  return {{"miou", r.miou},
          {"pixel_accuracy", r.pixel_accuracy},
          {"mean_class_accuracy", r.mean_class_accuracy},
          {"fwiou", r.fwiou},
          {"boundary_f", bf.mean_f},
          {"boundary_f_per_image", bf.image_mean_f}};
}

void SegmentationTask::draw(int64_t n, const std::string& path) {
  torch::NoGradGuard no_grad;
  model_->eval();
  if (!crf_.is_empty()) crf_->eval();
  n = std::min(n, eval_data_->size());
  BEYOND_CHECK(n > 0, "no evaluation images to draw");
  std::vector<torch::Tensor> panels;  // per image: image | ground truth | prediction
  for (int64_t i = 0; i < n; ++i) {
    const auto s = eval_data_->get(i);
    const auto prediction = segment_image(model_, s.image, cfg_, 0, crf_).argmax(0);
    panels.push_back(s.image);
    panels.push_back(viz::colorize_labels(s.semantic));
    panels.push_back(viz::colorize_labels(prediction));
  }
  viz::save_grid(ImageList::from_tensors(panels, 1, 255).tensor(), path, 3);
}

std::vector<std::string> SegmentationTask::visualize(const std::string& dir) {
  if (pictures_ <= 0) return {};
  draw(pictures_, (fs::path(dir) / "segmentations.png").string());
  return {"segmentations.png"};
}

void SegmentationTask::sample(int64_t n, const std::string& path) { draw(n, path); }

std::map<std::string, std::string> SegmentationTask::weights_metadata() {
  return {{"categories", categories_to_json(categories_in_label_order(eval_data_->coco()))}};
}

}  // namespace beyond
