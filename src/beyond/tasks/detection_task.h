#pragma once
/// Training a GeneralizedRCNN (Faster R-CNN, or Fast R-CNN on Selective Search proposals) on a COCO
/// format dataset laid out as `beyond data scenes` writes it:
///   <root>/annotations/instances_<split>.json, <root>/<split>/images/*.png
///
/// One step: a batch of images in an order fixed by (seed, epoch), random horizontal flips drawn from
/// a generator seeded by the step (so a resumed run sees the same batches), a random training scale
/// per image, and one backward pass through the sum of the RPN's and the RoI heads' losses
/// (approximate joint training). Evaluation: COCO box AP and VOC07 mAP on the eval split.
#include <memory>
#include <string>
#include <vector>

#include "beyond/data/coco_detection.h"
#include "beyond/engine/task.h"
#include "beyond/models/detection/generalized_rcnn.h"
#include "beyond/tasks/detection_eval.h"

namespace beyond {

/// Annotation file and image folder of `split` under a scenes-style root.
data::CocoDetectionOptions detection_split(const std::string& root, const std::string& split);

/// The top `count` Selective Search ("fast" mode) boxes of an image file, [K, 4] float x1 y1 x2 y2 on
/// the image; kept in `cache_dir` (proposals::cached_selective_search) unless it is empty.
torch::Tensor selective_search_boxes(const std::string& image_path, int64_t count, const std::string& cache_dir);

/// Proposals of a Fast R-CNN run: the top `count` Selective Search ("fast" mode) boxes of each image,
/// cached in `cache_dir`.
ProposalSource selective_search_proposals(std::shared_ptr<const data::CocoDetection> data, std::string cache_dir,
                                          int64_t count);

class DetectionTask : public Task {
 public:
  explicit DetectionTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override;
  void seek(int64_t step) override { step_ = step; }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  void sample(int64_t n, const std::string& path) override;
  /// "categories": the data's categories as JSON (detector_weights.h), so that the weights name their classes.
  std::map<std::string, std::string> weights_metadata() override;

  models::GeneralizedRCNN& model() { return model_; }
  const data::CocoDetection& eval_data() const { return *eval_data_; }
  /// The eval split's proposal source (empty for a model with an RPN).
  const ProposalSource& eval_proposals() const { return eval_proposals_; }

 private:
  std::vector<int64_t> batch_indices(int64_t step) const;
  void draw_detections(int64_t n, const std::string& path);

  std::shared_ptr<const data::CocoDetection> train_data_, eval_data_;
  ProposalSource train_proposals_, eval_proposals_;
  models::GeneralizedRCNN model_{nullptr};
  int64_t train_count_ = 0, batch_size_ = 4, eval_limit_ = 0, pictures_ = 8;
  uint64_t seed_ = 0;
  bool flip_ = true;
  int64_t step_ = 0;
};

}  // namespace beyond
