#pragma once
/// Self-describing detector weights: a safetensors file whose tensors are the model's state
/// ("model.<torchvision name>", as a detection run's model.safetensors) and whose metadata holds
///   "config"      the resolved YAML the model was built from
///   "categories"  a JSON list of {"id", "name"}: label l (1..K) is categories[l - 1]
/// so that `beyond detect --weights FILE` and `beyond eval detection FILE` need nothing else.
///
///   beyond::save_detector_weights("det.safetensors", model, cfg, dataset.categories);
///   beyond::LoadedDetector d = beyond::load_detector("runs/faster_rcnn_small");   // or "det.safetensors"
///   auto out = d.model->forward({image});
#include <torch/arg.h>

#include <map>
#include <string>
#include <vector>

#include "beyond/data/coco_detection.h"
#include "beyond/data/formats/coco.h"
#include "beyond/engine/config.h"
#include "beyond/models/detection/generalized_rcnn.h"

namespace beyond {

/// Categories as the "categories" metadata value (ids and names only), and back; `source` names the
/// file in errors.
std::string categories_to_json(const std::vector<coco::Category>& categories);
std::vector<coco::Category> categories_from_json(const std::string& json, const std::string& source);

/// The data's categories in label order (sorted by id: label l is element l - 1), as the weights keep them.
std::vector<coco::Category> categories_in_label_order(const data::CocoDetection& data);

/// Writes `model`'s weights with the "config" and "categories" metadata.
void save_detector_weights(const std::string& path, models::GeneralizedRCNN& model, const Config& cfg,
                           const std::vector<coco::Category>& categories);

struct LoadedDetector {
  models::GeneralizedRCNN model{nullptr};
  Config config;
  std::vector<coco::Category> categories;
  /// The safetensors file the weights came from.
  std::string weights_file;
};

struct LoadDetectorOptions {
  /// YAML merged over the weights' own config (keys must exist); the whole config for weights without
  /// "config" metadata (merged over the builtin faster_rcnn_small then).
  TORCH_ARG(std::string, config_file) = "";
  /// "key=value" overrides applied last (as `--set`).
  TORCH_ARG(std::vector<std::string>, overrides) = {};
  /// Fold the norms into the convolutions and run them channels-last
  /// (`GeneralizedRCNN::optimize_for_inference`): ~1.2x faster, boxes change by float rounding only.
  /// Off for weights that will be trained further.
  TORCH_ARG(bool, optimize_for_inference) = true;
};

/// Builds the detector described by `weights` -- a run directory (its model.safetensors, config.yaml)
/// or a .safetensors file -- and loads the weights (eval mode, optimised for inference unless told not to). The categories come from the metadata;
/// for weights without (a run made before it existed), from the config's data (data.root, eval_split)
/// if that annotation file is still there, else from the class-score layer's size (named "class <l>").
/// Errors name the file and, for weights of another architecture, the first tensor that differs.
LoadedDetector load_detector(const std::string& weights, const LoadDetectorOptions& options = {});

/// Checks that `data` has the categories (ids, in label order) that `detector` was trained on; the error
/// names both files and both id lists.
void check_same_categories(const LoadedDetector& detector, const data::CocoDetection& data);

}  // namespace beyond
