#pragma once
/// The multi-task loss of Fast R-CNN (Girshick 2015, eq. 1) in torchvision's form: cross-entropy of
/// the class logits over every sampled RoI, plus smooth-L1 (beta 1/9) between the deltas predicted
/// for each positive RoI's *own* class and its regression targets, summed and divided by the number
/// of sampled RoIs (not the number of positives), so both terms have the same normaliser.
///
///   auto losses = beyond::models::fast_rcnn_loss(logits, deltas, labels, targets);
///   (losses.classifier + losses.box_reg).backward();
#include <torch/types.h>

namespace beyond::models {

struct FastRCNNLosses {
  torch::Tensor classifier;  ///< "loss_classifier"
  torch::Tensor box_reg;     ///< "loss_box_reg"
};

/// class_logits [K, C]; box_regression [K, 4 * C]; labels int64 [K] in [0, C) (0: background);
/// regression_targets [K, 4], used where labels > 0. K is every sampled RoI of the batch.
FastRCNNLosses fast_rcnn_loss(const torch::Tensor& class_logits, const torch::Tensor& box_regression,
                              const torch::Tensor& labels, const torch::Tensor& regression_targets,
                              double smooth_l1_beta = 1.0 / 9);

}  // namespace beyond::models
