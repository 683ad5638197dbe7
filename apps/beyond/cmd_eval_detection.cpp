// beyond eval detection RUN_DIR|WEIGHTS --data DIR [--split val|test] [--limit N] [--out FILE]
// beyond eval detection --results RESULTS.json --data DIR [--split val|test] [--limit N] [--out FILE]
// Runs a trained detector over a split of a scenes-style dataset (or takes its detections from a COCO
// results file) and prints COCO's 12-line box AP summary and the VOC07 table; writes the metrics as JSON.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/data/formats/coco.h"
#include "beyond/tasks/detection_eval.h"
#include "beyond/tasks/detection_task.h"
#include "beyond/tasks/detector_weights.h"
#include "commands.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

struct EvalDetectionArgs {
  std::string weights, results, data, split = "val", out, config, proposal_cache;
  int64_t limit = 0;
};

/// The first `limit` images of the split (all for 0), as the detector run scores them.
std::vector<int64_t> first_image_ids(const data::CocoDetection& data, int64_t limit) {
  const int64_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(data.image_id(i));
  return ids;
}

void write_metrics(const EvalDetectionArgs& a, nlohmann::json j, const DetectionScores& scores,
                   const std::string& default_dir) {
  std::cout << scores.summary() << "\n";
  for (const auto& [k, v] : scores.metrics()) j["metrics"][k] = v;
  const std::string out =
      a.out.empty() ? (fs::path(default_dir) / ("eval_detection_" + a.split + ".json")).string() : a.out;
  write_file_atomic(out, j.dump(2) + "\n");
  std::cout << "wrote " << out << "\n";
}

/// Scores a results file (`beyond detect`'s detections.json or any other detector's) with the metrics
/// training reports, so that outside detections compare like for like.
void score_results_file(const EvalDetectionArgs& a) {
  BEYOND_CHECK_USAGE(a.weights.empty() && a.config.empty() && a.proposal_cache.empty(),
                     "eval detection: --results scores a results file; drop the weights, --config and "
                     "--proposal-cache (they are for running a detector)");
  const data::CocoDetection data(detection_split(a.data, a.split));
  auto results = coco::read_results(a.results, data.dataset());
  const auto ids = first_image_ids(data, a.limit);
  const size_t n_results = results.size();
  const auto scores = score_detections(data.dataset(), std::move(results), ids);
  write_metrics(a,
                {{"results", a.results}, {"data", a.data}, {"split", a.split}, {"images", ids.size()},
                 {"detections", n_results}},
                scores, ".");
}

void run_eval_detection(const EvalDetectionArgs& a) {
  BEYOND_CHECK_USAGE(a.limit >= 0, "eval detection: --limit must be >= 0, got ", a.limit);
  if (!a.results.empty()) return score_results_file(a);
  BEYOND_CHECK_USAGE(!a.weights.empty(), "eval detection: give the detector to run (a run directory or weights "
                                         "file), or --results with a COCO results file to score");
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
  std::error_code ec;
  write_metrics(a,
                {{"weights", detector.weights_file}, {"data", a.data}, {"split", a.split},
                 {"images", first_image_ids(*data, a.limit).size()}, {"detections", results.size()}},
                scores, fs::is_directory(a.weights, ec) ? a.weights : ".");
}

}  // namespace

void add_eval_detection(CLI::App& eval) {
  auto a = std::make_shared<EvalDetectionArgs>();
  auto* cmd = eval.add_subcommand("detection", "run a trained detector on a dataset split: COCO box AP summary "
                                               "and VOC07 mAP");
  cmd->add_option("weights", a->weights, "a run directory of `beyond train faster-rcnn|fast-rcnn`, or a "
                                         ".safetensors file written by beyond");
  cmd->add_option("--results", a->results, "score this COCO results JSON ([{image_id, category_id, bbox, "
                                           "score}], e.g. beyond detect's detections.json) instead of running a "
                                           "detector");
  cmd->add_option("--data", a->data, "dataset folder as `beyond data scenes` writes it")->required();
  cmd->add_option("--split", a->split, "split to score")->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  cmd->add_option("--limit", a->limit, "score only the first N images (0: all)")->capture_default_str();
  cmd->add_option("--out", a->out, "metrics JSON (default: eval_detection_<split>.json in the run directory, "
                                   "or in the current one for a weights file or --results)");
  cmd->add_option("--config", a->config, "YAML merged over the weights' own config");
  cmd->add_option("--proposal-cache", a->proposal_cache, "Fast R-CNN only: Selective Search cache folder "
                                                         "(default: DATA/ss_cache)");
  cmd->callback([a] { run_eval_detection(*a); });
}

}  // namespace beyond::cli
