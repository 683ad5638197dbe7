#pragma once
/// Spatial Transformer experiments on distorted Fashion-MNIST (the `distortions` generator): FCN, CNN,
/// ST-FCN and ST-CNN classifiers (models/stn/stn_classifier.h), trained on one distortion family and
/// tested on the same family.
///
/// Data (config `data.*`):
///   - test set: every Fashion-MNIST test image distorted once (stream 1 of the generator);
///   - training with augment = false: a *fixed* distorted training set -- each training image distorted
///     once (stream 0), the same copy in every epoch;
///   - training with augment = true: every time a training image is drawn it is distorted afresh (stream
///     2, index = step * batch_size + position in the batch), so the network sees a new sample of the
///     same distortion family every time. This is the "CNN + augmentation" column: the same distribution
///     as the others, many more distinct samples.
///
/// Model (`model.kind`: fcn | cnn | st-fcn | st-cnn): with model.match_budget the ST models' backbone
/// hidden width is chosen so that the whole ST model has as many parameters as the plain one (within a
/// fraction of a percent); the evaluation reports `parameters`.
///
/// Evaluation: test_error (percent), test_accuracy, test_loss, parameters. Pictures: distorted test inputs
/// beside what the transformer makes of them (rectified.png), and the θ of a few fixed test images
/// recorded every stn.theta_every steps (theta_evolution.png: the images rectified by each recorded θ,
/// one row per step; theta_curves.png; theta.json with the numbers). The θ record is kept in memory: a
/// resumed run has it from the resume onwards.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "beyond/data/dataloader.h"
#include "beyond/data/dataset.h"
#include "beyond/data/generators/distortions.h"
#include "beyond/engine/task.h"
#include "beyond/models/stn/stn_classifier.h"

namespace beyond {

class StnTask : public Task {
 public:
  explicit StnTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override { return loader_->batches_per_epoch(); }
  void seek(int64_t step) override { loader_->seek(step); }
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  std::vector<std::string> visualize(const std::string& dir) override;
  /// The first n distorted test images beside the transformer's outputs (save_rectified).
  void sample(int64_t n, const std::string& path) override { save_rectified(n, path); }

  bool has_transformer() const { return static_cast<bool>(model_->transformer()); }
  /// Rows of up to 8 distorted test images, each followed by the row of their rectified versions (one row
  /// per parallel transformer). Without a transformer: the distorted images alone.
  void save_rectified(int64_t n, const std::string& path);
  /// The distorted test images [N, 1, S, S].
  const torch::Tensor& test_images() const { return test_images_; }
  models::StnClassifier model() const { return model_; }

 private:
  void record_theta(int64_t step);
  /// One [n, 1, H_in, W_in] tensor per transformer: x sampled by θ, resized to the input's size for display.
  std::vector<torch::Tensor> rectified_rows(const torch::Tensor& x, const torch::Tensor& theta);

  models::StnClassifier model_{nullptr};
  data::DistortionOptions distortion_;
  bool augment_ = false;
  int64_t batch_size_ = 64;
  torch::Tensor train_clean_;
  std::unique_ptr<data::DataLoader> loader_;
  torch::Tensor test_images_, test_labels_;
  int64_t theta_every_ = 100;
  double loc_lr_scale_ = 1.0;  ///< the transformer's learning rate as a multiple of optim.lr
  torch::Tensor theta_probe_;  ///< fixed distorted test images whose θ is recorded
  std::vector<std::pair<int64_t, torch::Tensor>> theta_history_;
  int64_t steps_done_ = 0;
};

}  // namespace beyond
