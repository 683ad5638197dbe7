#include "beyond/tasks/detection_task.h"

#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/log.h"
#include "beyond/core/opencv_interop.h"
#include "beyond/data/dataloader.h"
#include "beyond/data/transforms/functional.h"
#include "beyond/data/transforms/transform.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/build_detector.h"
#include "beyond/proposals/proposal_cache.h"
#include "beyond/tasks/detector_weights.h"
#include "beyond/viz/grid.h"

namespace beyond {

namespace fs = std::filesystem;

data::CocoDetectionOptions detection_split(const std::string& root, const std::string& split) {
  const auto annotations = fs::path(root) / "annotations" / ("instances_" + split + ".json");
  BEYOND_CHECK(fs::exists(annotations), "detection data: ", annotations.string(), " does not exist; data.root must be "
               "a folder written by `beyond data scenes --out DIR` (or laid out the same way) with a '", split,
               "' split");
  return data::CocoDetectionOptions(annotations.string(), (fs::path(root) / split / "images").string())
      .masks(false)
      .drop_degenerate_boxes(true)
      .min_box_side(1.0);
}

torch::Tensor selective_search_boxes(const std::string& image_path, int64_t count, const std::string& cache_dir) {
  const auto options = proposals::SelectiveSearchOptions::fast();
  auto boxes = cache_dir.empty() ? proposals::selective_search(to_mat(read_image(image_path)), options)
                                 : proposals::cached_selective_search(image_path, options, cache_dir);
  boxes.resize(std::min<size_t>(boxes.size(), static_cast<size_t>(std::max<int64_t>(count, 0))));
  return proposals::boxes_to_tensor(boxes);
}

ProposalSource selective_search_proposals(std::shared_ptr<const data::CocoDetection> data, std::string cache_dir,
                                          int64_t count) {
  BEYOND_CHECK(!cache_dir.empty(), "fast_rcnn needs data.proposals: a folder for the Selective Search proposal cache");
  return [data = std::move(data), cache_dir = std::move(cache_dir), count](int64_t index) {
    const auto& image = data->dataset().images.at(index);
    return selective_search_boxes((fs::path(data->options().image_dir()) / image.file_name).string(), count, cache_dir);
  };
}

DetectionTask::DetectionTask(const Config& cfg) {
  const auto root = cfg.get_string("data.root");
  train_data_ = std::make_shared<data::CocoDetection>(detection_split(root, cfg.get_string("data.train_split")));
  eval_data_ = std::make_shared<data::CocoDetection>(detection_split(root, cfg.get_string("data.eval_split")));
  BEYOND_CHECK(train_data_->category_ids() == eval_data_->category_ids(), "detection data: the ",
               cfg.get_string("data.train_split"), " and ", cfg.get_string("data.eval_split"),
               " splits have different categories");
  const int64_t limit = cfg.get_int("data.train_limit");
  BEYOND_CHECK(limit >= 0 && cfg.get_int("data.eval_limit") >= 0, "data.train_limit and data.eval_limit must be >= 0");
  train_count_ = limit > 0 ? std::min(limit, train_data_->size()) : train_data_->size();
  batch_size_ = cfg.get_int("data.batch_size");
  BEYOND_CHECK(batch_size_ > 0, "data.batch_size must be positive, got ", batch_size_);
  eval_limit_ = cfg.get_int("data.eval_limit");
  pictures_ = cfg.get_int("eval.pictures");
  flip_ = cfg.get_bool("data.flip");
  seed_ = static_cast<uint64_t>(cfg.get_int("seed"));
  model_ = build_detector(cfg, train_data_->num_classes() + 1);
  if (!model_->has_rpn()) {
    const auto cache = cfg.get_string("data.proposals");
    const auto count = cfg.get_int("data.num_proposals");
    train_proposals_ = selective_search_proposals(train_data_, cache, count);
    eval_proposals_ = selective_search_proposals(eval_data_, cache, count);
  }
  BEYOND_CHECK(steps_per_epoch() > 0, "detection data: ", train_count_, " training images (data.train_limit ",
               limit, ") are fewer than one batch of ", batch_size_);
}

NamedModules DetectionTask::modules() { return {{"model", model_.ptr()}}; }

std::vector<OptimizedPart> DetectionTask::parts() {
  std::vector<torch::Tensor> trainable;
  for (const auto& p : model_->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  return {{"model", trainable, "optim"}};
}

int64_t DetectionTask::steps_per_epoch() const { return train_count_ / batch_size_; }

std::vector<int64_t> DetectionTask::batch_indices(int64_t step) const {
  const int64_t per_epoch = steps_per_epoch();
  const int64_t epoch = step / per_epoch, b = step % per_epoch;
  const auto order = data::detail::shuffled_order(train_count_, seed_, epoch);
  return {order.begin() + b * batch_size_, order.begin() + (b + 1) * batch_size_};
}

Metrics DetectionTask::train_step(StepContext& ctx) {
  auto generator = data::transforms::make_generator(seed_ * 1000003ull + static_cast<uint64_t>(step_));
  std::vector<torch::Tensor> images, proposals;
  std::vector<Instances> targets;
  for (int64_t index : batch_indices(step_)) {
    auto s = train_data_->get(index);
    Instances t(s.height(), s.width());
    t.set_boxes(s.target.boxes());
    t.set_labels(s.target.labels());
    s.target = t;
    torch::Tensor p = train_proposals_ ? train_proposals_(index) : torch::Tensor();
    if (flip_ && data::transforms::detail::uniform(generator, 0, 1) < 0.5) {
      data::transforms::hflip(s, {});
      if (p.defined()) p = data::transforms::hflip_boxes(p, static_cast<double>(s.width()));
    }
    images.push_back(s.image);
    targets.push_back(s.target);
    if (p.defined()) proposals.push_back(p);
  }
  model_->train();
  const auto out = model_->forward(images, targets, proposals, generator);
  const auto loss = models::GeneralizedRCNNImpl::total_loss(out);
  ctx.optimize("model", loss);
  ++step_;
  Metrics m{{"loss", loss.item<double>()}};
  for (const auto& [name, l] : out.losses) m[name] = l.item<double>();
  return m;
}

Metrics DetectionTask::evaluate() {
  const auto scores = evaluate_detector(
      model_, *eval_data_, RunDetectorOptions().limit(eval_limit_).batch_size(batch_size_), eval_proposals_);
  log::info(scores.summary());
  return scores.metrics();
}

void DetectionTask::draw_detections(int64_t n, const std::string& path) {
  torch::NoGradGuard no_grad;
  model_->eval();
  n = std::min(n, eval_data_->size());
  std::vector<torch::Tensor> drawn;
  for (int64_t i = 0; i < n; ++i) {
    const auto s = eval_data_->get(i);
    std::vector<torch::Tensor> props;
    if (eval_proposals_) props.push_back(eval_proposals_(i));
    const auto det = model_->forward({s.image}, {}, props).detections.at(0);
    const auto anns = to_coco_results(det[det.scores() >= 0.5], eval_data_->image_id(i), eval_data_->category_ids());
    drawn.push_back(beyond::draw_detections(s.image, anns, eval_data_->dataset().categories));
  }
  BEYOND_CHECK(!drawn.empty(), "no evaluation images to draw");
  viz::save_grid(ImageList::from_tensors(drawn, 1, 255).tensor(), path, std::min<int64_t>(4, n));
}

std::vector<std::string> DetectionTask::visualize(const std::string& dir) {
  if (pictures_ <= 0) return {};
  draw_detections(pictures_, (fs::path(dir) / "detections.png").string());
  return {"detections.png"};
}

void DetectionTask::sample(int64_t n, const std::string& path) { draw_detections(n, path); }

std::map<std::string, std::string> DetectionTask::weights_metadata() {
  return {{"categories", categories_to_json(categories_in_label_order(*eval_data_))}};
}

}  // namespace beyond
