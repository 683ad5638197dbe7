// beyond eval detection RUN_DIR|WEIGHTS --data DIR [--split val|test] [--limit N] [--out FILE]
// Runs a trained detector over a split of a scenes-style dataset and prints COCO's 12-line box AP
// summary and the VOC07 table; writes the metrics as JSON.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/tasks/detection_eval.h"
#include "beyond/tasks/detection_task.h"
#include "beyond/tasks/detector_weights.h"
#include "commands.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

struct EvalDetectionArgs {
  std::string weights, data, split = "val", out, config, proposal_cache;
  int64_t limit = 0;
};

void run_eval_detection(const EvalDetectionArgs& a) {
  BEYOND_CHECK_USAGE(a.limit >= 0, "eval detection: --limit must be >= 0, got ", a.limit);
  auto detector = load_detector(a.weights, LoadDetectorOptions().config_file(a.config));
  auto data = std::make_shared<data::CocoDetection>(detection_split(a.data, a.split));
  check_same_categories(detector, *data);
  ProposalSource proposals;
  if (!detector.model->has_rpn()) {
    const auto cache = a.proposal_cache.empty() ? (fs::path(a.data) / "ss_cache").string() : a.proposal_cache;
    proposals = selective_search_proposals(data, cache, detector.config.get_int("data.num_proposals"));
  }
  std::vector<coco::Annotation> results;
  const auto scores = evaluate_detector(detector.model, *data, RunDetectorOptions().limit(a.limit).progress(true),
                                        proposals, &results);
  const int64_t n = a.limit > 0 ? std::min(a.limit, data->size()) : data->size();
  std::cout << scores.summary() << "\n";

  nlohmann::json j = {{"weights", detector.weights_file}, {"data", a.data}, {"split", a.split}, {"images", n},
                      {"detections", results.size()}};
  for (const auto& [k, v] : scores.metrics()) j["metrics"][k] = v;
  std::error_code ec;
  std::string out = a.out;
  if (out.empty())
    out = fs::is_directory(a.weights, ec) ? (fs::path(a.weights) / ("eval_detection_" + a.split + ".json")).string()
                                          : "eval_detection_" + a.split + ".json";
  write_file_atomic(out, j.dump(2) + "\n");
  std::cout << "wrote " << out << "\n";
}

}  // namespace

void add_eval_detection(CLI::App& eval) {
  auto a = std::make_shared<EvalDetectionArgs>();
  auto* cmd = eval.add_subcommand("detection", "run a trained detector on a dataset split: COCO box AP summary "
                                               "and VOC07 mAP");
  cmd->add_option("weights", a->weights, "a run directory of `beyond train faster-rcnn|fast-rcnn`, or a "
                                         ".safetensors file written by beyond")->required();
  cmd->add_option("--data", a->data, "dataset folder as `beyond data scenes` writes it")->required();
  cmd->add_option("--split", a->split, "split to score")->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  cmd->add_option("--limit", a->limit, "score only the first N images (0: all)")->capture_default_str();
  cmd->add_option("--out", a->out, "metrics JSON (default: eval_detection_<split>.json in the run directory, "
                                   "or in the current one for a weights file)");
  cmd->add_option("--config", a->config, "YAML merged over the weights' own config");
  cmd->add_option("--proposal-cache", a->proposal_cache, "Fast R-CNN only: Selective Search cache folder "
                                                         "(default: DATA/ss_cache)");
  cmd->callback([a] { run_eval_detection(*a); });
}

}  // namespace beyond::cli
