// beyond detect --weights W IMAGES... --out DIR [--config C] [--score-thresh 0.5] [--min-size N]
//               [--max-pixels N] [--proposal-cache DIR]
// Writes DIR/<image stem>.png (boxes, class names, scores), DIR/detections.json (COCO results; image_id is
// the image's position among IMAGES, from 1) and DIR/images.json (a COCO dataset without annotations
// that maps those ids to the files and lists the categories, so that COCO tools can read the results).
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/detection_eval.h"
#include "beyond/tasks/detection_task.h"
#include "beyond/tasks/detector_weights.h"
#include "commands.h"

namespace beyond::cli {
namespace {
namespace fs = std::filesystem;

struct DetectArgs {
  std::string weights, out, config, proposal_cache;
  std::vector<std::string> images;
  double score_thresh = 0.5;
  int64_t min_size = 0, max_pixels = 0;
};

/// Every image gets its own picture: two inputs with one stem would overwrite each other's.
void check_unique_stems(const std::vector<std::string>& images) {
  std::map<std::string, std::string> seen;
  for (const auto& path : images) {
    const auto stem = fs::path(path).stem().string();
    const auto [it, fresh] = seen.emplace(stem, path);
    BEYOND_CHECK_USAGE(fresh, "detect: ", it->second, " and ", path, " would both be drawn as ", stem,
                       ".png; rename one, or run them with different --out folders");
  }
}

void run_detect(const DetectArgs& a) {
  BEYOND_CHECK_USAGE(a.score_thresh >= 0 && a.score_thresh <= 1, "detect: --score-thresh must be in [0, 1], got ",
                     a.score_thresh);
  BEYOND_CHECK_USAGE(a.min_size >= 0 && a.max_pixels >= 0, "detect: --min-size and --max-pixels must be >= 0");
  check_unique_stems(a.images);
  std::vector<std::string> overrides;
  if (a.min_size > 0) overrides.push_back(str("model.transform.test_min_size=", a.min_size));
  if (a.max_pixels > 0) overrides.push_back(str("model.transform.max_input_pixels=", a.max_pixels));
  auto detector = load_detector(a.weights, LoadDetectorOptions().config_file(a.config).overrides(overrides));
  ensure_writable_dir(a.out);
  const int64_t max_pixels = detector.config.get_int("model.transform.max_input_pixels");
  const int64_t num_proposals = detector.config.get_int("data.num_proposals");
  std::vector<int64_t> category_ids;
  for (const auto& c : detector.categories) category_ids.push_back(c.id);

  coco::Dataset listing;
  listing.categories = detector.categories;
  std::vector<coco::Annotation> results;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < a.images.size(); ++i) {
    const auto& path = a.images[i];
    const auto image = read_image(path);  // grey stays [1, H, W]; alpha is dropped
    const int64_t h = image.size(1), w = image.size(2);
    BEYOND_CHECK(max_pixels <= 0 || h * w <= max_pixels, path, ": ", w, "x", h, " = ", h * w,
                 " pixels is more than the limit of ", max_pixels,
                 " (--max-pixels, model.transform.max_input_pixels); downscale the image or raise --max-pixels");
    std::vector<torch::Tensor> proposals;
    if (!detector.model->has_rpn()) proposals.push_back(selective_search_boxes(path, num_proposals, a.proposal_cache));
    const auto det = detector.model->forward({image}, {}, proposals).detections.at(0);
    const int64_t id = static_cast<int64_t>(i) + 1;
    const auto found = to_coco_results(det[det.scores() >= a.score_thresh], id, category_ids);

    const auto picture = (fs::path(a.out) / (fs::path(path).stem().string() + ".png")).string();
    write_image(picture, draw_detections(image, found, detector.categories));
    std::cout << path << ": " << found.size() << " detections (score >= " << a.score_thresh << ") -> " << picture
              << "\n";
    listing.images.push_back({id, path, w, h});
    results.insert(results.end(), found.begin(), found.end());
  }
  coco::write_results(results, (fs::path(a.out) / "detections.json").string());
  listing.reindex();
  coco::write_dataset(listing, (fs::path(a.out) / "images.json").string());
  std::cout << results.size() << " detections in " << (fs::path(a.out) / "detections.json").string()
            << " (image ids as in images.json)\n";
}

}  // namespace

void add_detect(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<DetectArgs>();
  auto* cmd = app.add_subcommand("detect", "detect objects in images with a trained detector; draws them and "
                                           "writes COCO results JSON");
  cmd->add_option("images", a->images, "image files (PNG, JPEG, ...; grey and RGBA are converted to RGB)")->required();
  cmd->add_option("--weights", a->weights, "a run directory of `beyond train faster-rcnn|fast-rcnn`, or a "
                                           ".safetensors file written by beyond")->required();
  cmd->add_option("--out", a->out, "output folder: <image stem>.png, detections.json, images.json")->required();
  cmd->add_option("--config", a->config, "YAML merged over the weights' own config (the whole model config for "
                                         "weights that carry none)");
  cmd->add_option("--score-thresh", a->score_thresh, "keep detections scoring at least this")->capture_default_str();
  cmd->add_option("--min-size", a->min_size, "shorter image side the detector resizes to (0: the config's "
                                             "model.transform.test_min_size)");
  cmd->add_option("--max-pixels", a->max_pixels, "refuse images with more pixels than this (0: the config's "
                                                 "model.transform.max_input_pixels)");
  cmd->add_option("--proposal-cache", a->proposal_cache, "Fast R-CNN only: folder to keep Selective Search "
                                                         "proposals in (default: computed, not kept)");
  cmd->callback([a] { run_detect(*a); });
}

}  // namespace beyond::cli
