#pragma once
/// Training an FCN (FCN-32s / 16s / 8s, models/segmentation/fcn.h) for semantic segmentation on a
/// COCO-style dataset with label PNGs, laid out as `beyond data scenes` writes it:
///   <root>/annotations/instances_<split>.json   (the categories; image list)
///   <root>/<split>/images/NNNNNN.png, <root>/<split>/labels/NNNNNN.png   (0 background, category id, 255 ignore)
/// Label PNG values are category ids; the network's classes are 0 = background and 1..K = the
/// categories sorted by id (identical for scenes, whose ids are 1..11).
///
/// One step: a batch in an order fixed by (seed, epoch); each image rescaled by a factor drawn from
/// [data.scale_min, data.scale_max], randomly cropped to data.crop_size (the whole side where smaller;
/// batches are padded with the ignore label) and flipped; pixel-wise cross-entropy with the ignore
/// label and optional class weights. Random draws come from a generator seeded by the step, so a
/// resumed run sees the same batches. Evaluation (whole images at data.eval_scale, logits resized back
/// to the label map): mIoU, pixel accuracy, mean class accuracy, frequency-weighted IoU and the boundary
/// F-score (eval/boundary_f_score.h, eval.boundary_tolerance pixels).
///
/// With `model.crf_rnn.enabled` a CRF-RNN (models/segmentation/crf_rnn.h) refines the FCN's logits on
/// the (de-normalised) image colours, in training and evaluation, and the same cross-entropy is taken
/// on its output ("the CRF loss"); `model.init_weights` names FCN weights to start from (fine-tuning
/// FCN-8s + CRF-RNN from an FCN-8s run, configs/fcn8s_crfrnn_small.yaml). Module "crf" holds its parameters.
#include <memory>
#include <string>
#include <vector>

#include "beyond/data/coco_detection.h"
#include "beyond/engine/config.h"
#include "beyond/engine/task.h"
#include "beyond/models/segmentation/crf_rnn.h"
#include "beyond/models/segmentation/fcn.h"

namespace beyond {

/// The images and label maps of one split, with label maps translated from category ids to classes
/// (0 background, 1..K) and checked: a value that is neither 0, a category id nor 255 is an error
/// naming the label file.
class SegmentationData {
 public:
  SegmentationData(const std::string& root, const std::string& split);
  int64_t size() const { return coco_->size(); }
  /// Image uint8 [3, H, W] and semantic int64 [H, W] (classes, 255 ignore); target empty.
  data::Sample get(int64_t index) const;
  /// The label PNG of image `index`.
  std::string label_path(int64_t index) const;
  int64_t num_classes() const { return coco_->num_classes() + 1; }
  const data::CocoDetection& coco() const { return *coco_; }
  /// "background" and the category names, in class order.
  std::vector<std::string> class_names() const;

 private:
  std::shared_ptr<const data::CocoDetection> coco_;
  std::vector<int64_t> lut_;  // 256 entries: label PNG value -> class, -1 = invalid
};

class SegmentationTask : public Task {
 public:
  explicit SegmentationTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override { return train_count_ / batch_size_; }
  void seek(int64_t step) override { step_ = step; }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;
  /// "categories" (as a detector's), so that the weights name their classes.
  std::map<std::string, std::string> weights_metadata() override;

  models::Fcn& model() { return model_; }
  /// The CRF-RNN on the FCN (null unless model.crf_rnn.enabled).
  models::CrfRnn& crf() { return crf_; }

 private:
  /// The training batch of a step: normalised images [B, 3, h, w] and labels [B, h, w].
  std::pair<torch::Tensor, torch::Tensor> batch(int64_t step) const;
  void draw(int64_t n, const std::string& path);

  Config cfg_;
  std::unique_ptr<SegmentationData> train_data_, eval_data_;
  models::Fcn model_{nullptr};
  models::CrfRnn crf_{nullptr};
  std::string init_weights_;  // model.init_weights, until loaded by the first training step
  torch::Tensor class_weights_;
  int64_t train_count_ = 0, batch_size_ = 8, crop_size_ = 0, eval_limit_ = 0, pictures_ = 6;
  double scale_min_ = 1, scale_max_ = 1, tolerance_ = 2;
  uint64_t seed_ = 0;
  bool flip_ = true;
  int64_t step_ = 0;
};

}  // namespace beyond
