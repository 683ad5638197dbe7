#include "beyond/tasks/detector_weights.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/core/safetensors.h"
#include "beyond/tasks/build_detector.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {

const char* const kPrefix = "model.";
const char* const kClassScores = "model.roi_heads.box_predictor.cls_score.weight";

/// The categories of the data a config was trained on, when that annotation file is still there.
std::vector<coco::Category> run_data_categories(const Config& cfg) {
  if (!cfg.has("data.root") || !cfg.has("data.eval_split")) return {};
  const auto file = fs::path(cfg.get_string("data.root")) / "annotations" /
                    ("instances_" + cfg.get_string("data.eval_split") + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return {};
  return categories_in_label_order(data::CocoDetection(data::CocoDetectionOptions(file.string(), "").masks(false)));
}

}  // namespace

std::string categories_to_json(const std::vector<coco::Category>& categories) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& c : categories) j.push_back({{"id", c.id}, {"name", c.name}});
  return j.dump();
}

std::vector<coco::Category> categories_from_json(const std::string& json, const std::string& source) {
  std::vector<coco::Category> out;
  try {
    for (const auto& c : nlohmann::json::parse(json)) {
      coco::Category cat;
      cat.id = c.at("id").get<int64_t>();
      cat.name = c.at("name").get<std::string>();
      out.push_back(std::move(cat));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(str(source, ": metadata \"categories\" is not a JSON list of {\"id\", \"name\"}: ", e.what()));
  }
  return out;
}

std::vector<coco::Category> categories_in_label_order(const data::CocoDetection& data) {
  std::vector<coco::Category> out;
  for (int64_t id : data.category_ids())
    for (const auto& c : data.dataset().categories)
      if (c.id == id) out.push_back(c);
  return out;
}

void save_detector_weights(const std::string& path, models::GeneralizedRCNN& model, const Config& cfg,
                           const std::vector<coco::Category>& categories) {
  BEYOND_CHECK(static_cast<int64_t>(categories.size()) + 1 == model->num_classes(), path, ": ", categories.size(),
               " categories for a model with ", model->num_classes(), " classes (categories + background)");
  save_safetensors(path, state_dict(*model, kPrefix),
                   {{"format", "pt"}, {"producer", "beyond"}, {"config", cfg.to_yaml()},
                    {"categories", categories_to_json(categories)}});
}

LoadedDetector load_detector(const std::string& weights, const LoadDetectorOptions& options) {
  LoadedDetector d;
  std::error_code ec;
  std::string config_yaml;
  if (fs::is_directory(weights, ec)) {
    d.weights_file = (fs::path(weights) / "model.safetensors").string();
    BEYOND_CHECK_USAGE(fs::exists(d.weights_file, ec), weights, " has no model.safetensors: pass a finished run ",
                       "directory of `beyond train faster-rcnn|fast-rcnn` or a .safetensors file");
    const auto run_config = fs::path(weights) / "config.yaml";
    if (fs::exists(run_config, ec)) config_yaml = Config::from_file(run_config.string()).to_yaml();
  } else {
    BEYOND_CHECK_USAGE(fs::is_regular_file(weights, ec), weights, ": no such weights file or run directory");
    d.weights_file = weights;
  }
  const auto metadata = load_safetensors_metadata(d.weights_file);
  if (auto it = metadata.find("config"); it != metadata.end()) config_yaml = it->second;
  if (config_yaml.empty()) {
    BEYOND_CHECK_USAGE(!options.config_file().empty(), d.weights_file,
                       " does not say which model it holds (no \"config\" metadata); pass --config with the model's "
                       "YAML (e.g. configs/faster_rcnn_r50_fpn.yaml)");
    d.config = Config::builtin("faster_rcnn_small");
  } else {
    d.config = Config::from_yaml(config_yaml, d.weights_file + " (metadata \"config\")");
  }
  if (!options.config_file().empty()) d.config.merge(Config::from_file(options.config_file()));
  for (const auto& s : options.overrides()) d.config.set_assignment(s);
  BEYOND_CHECK_USAGE(d.config.has("task") && d.config.get_string("task") == "detection", d.weights_file,
                     " holds a '", d.config.has("task") ? d.config.get_string("task") : "?",
                     "' model, not a detector");

  const TensorMap tensors = load_safetensors(d.weights_file);
  int64_t num_classes = 0;
  if (auto it = metadata.find("categories"); it != metadata.end()) {
    d.categories = categories_from_json(it->second, d.weights_file);
    num_classes = static_cast<int64_t>(d.categories.size()) + 1;
  } else if (auto data = run_data_categories(d.config); !data.empty()) {
    d.categories = data;  // weights of a run made before the metadata existed: its data names the classes
    num_classes = static_cast<int64_t>(d.categories.size()) + 1;
  } else if (auto t = tensors.find(kClassScores); t != tensors.end() && t->second.dim() == 2) {
    num_classes = t->second.size(0);
    for (int64_t l = 1; l < num_classes; ++l) {
      coco::Category c;
      c.id = l;
      c.name = str("class ", l);
      d.categories.push_back(c);
    }
    log::warn(str(d.weights_file, " has no \"categories\" metadata: naming its ", num_classes - 1,
                  " classes 'class 1' ... with category ids 1 .. ", num_classes - 1));
  }
  d.model = build_detector(d.config, num_classes);
  load_state_dict(*d.model, tensors, kPrefix, d.weights_file);
  d.model->eval();
  if (options.optimize_for_inference()) d.model->optimize_for_inference(/*channels_last=*/true);
  return d;
}

void check_same_categories(const LoadedDetector& detector, const data::CocoDetection& data) {
  std::vector<int64_t> ids;
  for (const auto& c : detector.categories) ids.push_back(c.id);
  if (ids == data.category_ids()) return;
  auto text = [](const std::vector<int64_t>& v) {
    std::string s;
    for (int64_t id : v) s += (s.empty() ? "" : ", ") + std::to_string(id);
    return "[" + s + "]";
  };
  throw Error(str(detector.weights_file, " detects categories ", text(ids), " but ", data.options().annotation_file(),
                  " has ", text(data.category_ids()), "; use data with the categories the detector was trained on"));
}

}  // namespace beyond
