// beyond eval coco --gt ann.json --pred results.json --type bbox|segm|keypoints [--json out.json]
// beyond eval voc --gt VOCdevkit/VOC2007 --set test --pred DIR [--json out.json]
// beyond eval seg --gt DIR --pred DIR --num-classes N [--ignore 255] [--boundary-tolerance 2] [--json out.json]
#include <chrono>
#include <iostream>
#include <optional>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/formats/coco.h"
#include "beyond/eval/coco_eval.h"
#include "beyond/eval/semantic_segmentation.h"
#include "beyond/eval/voc_eval.h"
#include "beyond/eval/file_scoring.h"
#include "beyond/eval/json_text.h"
#include "commands.h"

namespace beyond::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void write_json(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  write_file_atomic(path, text);
  log::info(str("wrote ", path));
}

void add_coco(CLI::App& eval) {
  struct Args {
    std::string gt, pred, type = "bbox", json;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = eval.add_subcommand("coco", "COCO AP/AR of a results file (as pycocotools' COCOeval; prints its summary)");
  cmd->add_option("--gt", a->gt, "ground-truth COCO dataset JSON")->required();
  cmd->add_option("--pred", a->pred, "COCO results JSON: [{image_id, category_id, score, bbox|segmentation|keypoints}]")
      ->required();
  cmd->add_option("--type", a->type, "bbox, segm or keypoints")->check(CLI::IsMember({"bbox", "segm", "keypoints"}));
  cmd->add_option("--json", a->json, "also write the stats and per-category AP to this JSON file");
  cmd->callback([a] {
    const auto type = eval::parse_iou_type(a->type);
    auto t0 = std::chrono::steady_clock::now();
    const auto gt = coco::read_dataset(a->gt);
    const auto dt = coco::read_results(a->pred, gt);
    const double read_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto r = eval::evaluate_coco(gt, dt, type);
    const double eval_s = seconds_since(t0);
    log::info(str("read ", gt.images.size(), " images, ", gt.annotations.size(), " objects, ", dt.size(),
                  " detections in ", read_s, " s; evaluated (", a->type, ") in ", eval_s, " s"));
    std::cout << r.summary();
    write_json(a->json, r.to_json());
  });
}

void add_voc(CLI::App& eval) {
  struct Args {
    std::string gt, set = "test", pred, json, classes;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = eval.add_subcommand("voc", "Pascal VOC detection AP per class (11-point VOC2007 and all-point VOC2010+)");
  cmd->add_option("--gt", a->gt, "VOC year directory holding Annotations/*.xml and ImageSets/Main/<set>.txt")->required();
  cmd->add_option("--set", a->set, "image set name (ImageSets/Main/<set>.txt)");
  cmd->add_option("--pred", a->pred,
                  "directory of the devkit's per-class detection files <anything>_det_<set>_<class>.txt "
                  "(lines: image_id score x1 y1 x2 y2, 1-based inclusive pixels)")
      ->required();
  cmd->add_option("--classes", a->classes, "comma-separated class names (default: the 20 VOC classes)");
  cmd->add_option("--json", a->json, "also write per-class AP and mAP to this JSON file");
  cmd->callback([a] {
    const auto classes = a->classes.empty() ? eval::voc_class_names() : eval::split_names(a->classes);
    const auto r = eval::evaluate_voc_files(a->gt, a->set, a->pred, classes);
    std::cout << r.summary();
    write_json(a->json, r.to_json());
  });
}

void add_seg(CLI::App& eval) {
  struct Args {
    std::string gt, pred, json, names;
    int64_t num_classes = 0, ignore = 255;
    double boundary_tolerance = 0;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = eval.add_subcommand("seg", "semantic segmentation mIoU, fwIoU, mean class and pixel accuracy");
  cmd->add_option("--gt", a->gt, "directory of ground-truth label PNGs (palette indices or grey values)")->required();
  cmd->add_option("--pred", a->pred, "directory of predicted label PNGs with the same file names")->required();
  cmd->add_option("--num-classes", a->num_classes, "number of classes (labels 0..N-1)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ignore", a->ignore, "ground-truth label not scored (default 255)");
  cmd->add_option("--names", a->names, "comma-separated class names for the table");
  cmd->add_option("--boundary-tolerance", a->boundary_tolerance,
                  "also score the boundary F-measure with this tolerance in pixels (e.g. 2; 0 = off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--json", a->json, "also write the scores to this JSON file");
  cmd->callback([a] {
    std::optional<eval::BoundaryFScoreEvaluator> boundary;
    if (a->boundary_tolerance > 0)
      boundary.emplace(a->num_classes, a->ignore, eval::BoundaryFScoreOptions().tolerance_px(a->boundary_tolerance));
    const auto r = eval::evaluate_label_dirs(a->gt, a->pred, a->num_classes, a->ignore, boundary ? &*boundary : nullptr);
    const auto names = a->names.empty() ? std::vector<std::string>{} : eval::split_names(a->names);
    std::cout << r.summary(names);
    std::string json = r.to_json(names);
    if (boundary) {
      const auto bf = boundary->evaluate();
      std::cout << bf.summary(names);
      // The regions' object gets the boundary scores as three more top-level fields.
      json = str(json.substr(0, json.rfind('}')), ",\n  \"boundary_f\": ", eval::json_number(bf.mean_f),
                 ",\n  \"boundary_f_per_image\": ", eval::json_number(bf.image_mean_f),
                 ",\n  \"boundary_tolerance\": ", a->boundary_tolerance, "\n}\n");
    }
    write_json(a->json, json);
  });
}

}  // namespace

void add_eval_scorers(CLI::App& eval) {
  add_coco(eval);
  add_voc(eval);
  add_seg(eval);
}

}  // namespace beyond::cli
