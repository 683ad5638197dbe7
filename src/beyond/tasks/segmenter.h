#pragma once
/// What the segmentation task, `beyond segment` and `beyond eval` share: an FCN built from a config's
/// `model:` section (configs/fcn*.yaml), the prediction of one image at the image's own size, and
/// self-describing weights (a run's model.safetensors: tensors "model.<name>", metadata "config" and
/// "categories", as a detector's).
///
///   beyond::LoadedSegmenter s = beyond::load_segmenter("runs/fcn8s_small");   // or a .safetensors file
///   torch::Tensor logits = beyond::segment_image(s.model, image, s.config);  // [C, H, W]
#include <torch/arg.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "beyond/data/formats/coco.h"
#include "beyond/engine/config.h"
#include "beyond/models/segmentation/crf_rnn.h"
#include "beyond/models/segmentation/fcn.h"

namespace beyond {

/// The FCN of a config's `model:` section with `num_classes` outputs (model.num_classes when that is > 0).
models::FcnOptions fcn_options(const Config& cfg, int64_t num_classes);

/// Whether the config puts a CRF-RNN on the FCN (model.crf_rnn.enabled; configs without the section have none).
bool crf_rnn_enabled(const Config& cfg);
/// The CRF-RNN of a config's `model.crf_rnn:` section (configs/fcn8s_crfrnn_small.yaml) for `num_classes` labels.
models::CrfRnnOptions crf_rnn_options(const Config& cfg, int64_t num_classes);
/// Copies an FCN's weights (a run directory of `beyond train fcn8s ...` or its model.safetensors: the
/// tensors "model.<name>") into `model`: what model.init_weights names, to fine-tune from.
void load_fcn_weights(models::Fcn& model, const std::string& weights);

/// The image colours [N, 3, H, W] in 0..255 of normalised network inputs (model.image_mean / image_std
/// undone): what the CRF-RNN's bilateral kernel compares.
torch::Tensor denormalized_rgb(const torch::Tensor& inputs, const Config& cfg);

/// The network's input for one image (uint8 or [0, 1] float, 1 or 3 channels [C, H, W]): RGB,
/// normalised with model.image_mean / image_std, resized by `scale` (bilinear) when it is not 1.
/// float32 [1, 3, round(H * scale), round(W * scale)].
torch::Tensor segmentation_input(const torch::Tensor& image, const Config& cfg, double scale);

/// Logits [C, H, W] of one image at its own size: the network runs at data.eval_scale (or `scale` when
/// > 0) and its logits are resized back bilinearly. With a `crf` (a CRF-RNN), it refines the logits at
/// the network's resolution before the resize. Call in eval mode; runs without gradients.
torch::Tensor segment_image(models::Fcn& model, const torch::Tensor& image, const Config& cfg, double scale = 0,
                            models::CrfRnn crf = nullptr);

struct LoadedSegmenter {
  models::Fcn model{nullptr};
  /// The CRF-RNN on top of the FCN, when the config has one (null otherwise).
  models::CrfRnn crf{nullptr};
  Config config;
  /// Label l (1..K) is categories[l - 1]; label 0 is background.
  std::vector<coco::Category> categories;
  std::string weights_file;
};

/// Builds and loads (eval mode) the FCN of `weights`: a run directory of `beyond train fcn8s ...` (its
/// model.safetensors) or a .safetensors file with "config" metadata; `overrides` ("key=value") are applied
/// to that config. Errors name the file (not a segmentation model, tensors that do not fit).
LoadedSegmenter load_segmenter(const std::string& weights, const std::vector<std::string>& overrides = {});

}  // namespace beyond
