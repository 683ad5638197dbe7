#include "beyond/tasks/detection_eval.h"

#include <torch/torch.h>

#include <map>
#include <optional>
#include <set>

#include <opencv2/imgproc.hpp>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/opencv_interop.h"
#include "beyond/core/progress.h"
#include "beyond/viz/draw_instances.h"

namespace beyond {

std::vector<coco::Annotation> to_coco_results(const Instances& detections, int64_t image_id,
                                              const std::vector<int64_t>& category_ids) {
  std::vector<coco::Annotation> out;
  if (detections.empty()) return out;
  const auto boxes = detections.boxes().tensor().to(torch::kCPU, torch::kDouble).contiguous();
  const auto scores = detections.scores().to(torch::kCPU, torch::kDouble).contiguous();
  const auto labels = detections.labels().to(torch::kCPU).contiguous();
  const auto* b = boxes.data_ptr<double>();
  const auto* l = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < detections.size(); ++i) {
    const int64_t label = l[i];
    BEYOND_CHECK(label >= 1 && label <= static_cast<int64_t>(category_ids.size()), "detection label ", label,
                 " is outside [1, ", category_ids.size(), "]; does the model have the dataset's classes?");
    coco::Annotation a;
    a.image_id = image_id;
    a.category_id = category_ids[label - 1];
    a.bbox = {b[4 * i], b[4 * i + 1], b[4 * i + 2] - b[4 * i], b[4 * i + 3] - b[4 * i + 1]};
    a.area = a.bbox[2] * a.bbox[3];
    a.score = scores.data_ptr<double>()[i];
    out.push_back(std::move(a));
  }
  return out;
}

torch::Tensor draw_detections(const torch::Tensor& image, const std::vector<coco::Annotation>& detections,
                              const std::vector<coco::Category>& categories) {
  cv::Mat bgr = to_mat(to_uint8_chw(image, "draw_detections"));
  if (bgr.channels() == 1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
  viz::draw_annotations(bgr, detections, categories, viz::DrawOptions().draw_scores(true));
  return from_mat(bgr);
}

std::vector<coco::Annotation> run_detector(models::GeneralizedRCNN& model, const data::CocoDetection& data,
                                           const RunDetectorOptions& options, const ProposalSource& proposals) {
  torch::NoGradGuard no_grad;
  model->eval();
  BEYOND_CHECK(model->has_rpn() || proposals, "run_detector: a model without an RPN needs a proposal source");
  const int64_t n = options.limit() > 0 ? std::min(options.limit(), data.size()) : data.size();
  const int64_t batch = std::max<int64_t>(1, options.batch_size());
  std::vector<coco::Annotation> results;
  std::optional<ProgressBar> progress;
  if (options.progress()) progress.emplace(n, "detect");
  for (int64_t first = 0; first < n; first += batch) {
    std::vector<torch::Tensor> images, props;
    for (int64_t i = first; i < std::min(n, first + batch); ++i) {
      images.push_back(data.get(i).image);
      if (!model->has_rpn()) props.push_back(proposals(i));
    }
    const auto out = model->forward(images, {}, props);
    for (size_t k = 0; k < out.detections.size(); ++k) {
      auto r = to_coco_results(out.detections[k], data.image_id(first + static_cast<int64_t>(k)), data.category_ids());
      results.insert(results.end(), r.begin(), r.end());
    }
    if (progress) progress->update(std::min(n, first + batch));
  }
  if (progress) progress->finish();
  return results;
}

namespace {

eval::VocBox voc_box(const mask::Box& b) { return {b[0], b[1], b[0] + b[2] - 1, b[1] + b[3] - 1}; }

eval::VocResult score_voc(const coco::Dataset& gt, const std::vector<coco::Annotation>& results,
                          const std::vector<int64_t>& image_ids) {
  std::vector<std::string> names;
  std::map<int64_t, int64_t> label_of;
  for (const auto& c : gt.categories) {
    label_of[c.id] = static_cast<int64_t>(names.size());
    names.push_back(c.name);
  }
  std::map<int64_t, std::vector<eval::VocObject>> objects;
  std::map<int64_t, std::vector<eval::VocDetection>> detections;
  for (const auto& a : gt.annotations) objects[a.image_id].push_back({label_of.at(a.category_id), voc_box(a.bbox), a.iscrowd});
  for (const auto& d : results) {
    const auto it = label_of.find(d.category_id);
    BEYOND_CHECK(it != label_of.end(), "detection of image ", d.image_id, " has category ", d.category_id,
                 ", which the ground truth does not have");
    detections[d.image_id].push_back({it->second, d.score, voc_box(d.bbox)});
  }
  eval::VocEvaluator evaluator(names, 0.5);
  for (int64_t id : image_ids) evaluator.process(objects[id], detections[id]);
  return evaluator.evaluate();
}

}  // namespace

DetectionScores score_detections(const coco::Dataset& gt, std::vector<coco::Annotation> results,
                                 std::vector<int64_t> image_ids) {
  if (image_ids.empty())
    for (const auto& im : gt.images) image_ids.push_back(im.id);
  const std::set<int64_t> scored(image_ids.begin(), image_ids.end());
  std::vector<coco::Annotation> kept;
  for (auto& r : results)
    if (scored.count(r.image_id)) kept.push_back(std::move(r));
  eval::complete_detections(kept, gt, 1);
  DetectionScores s;
  s.coco = eval::evaluate_coco(gt, kept, eval::IouType::Bbox, image_ids);
  s.voc = score_voc(gt, kept, image_ids);
  return s;
}

DetectionScores evaluate_detector(models::GeneralizedRCNN& model, const data::CocoDetection& data,
                                  const RunDetectorOptions& options, const ProposalSource& proposals,
                                  std::vector<coco::Annotation>* results) {
  auto found = run_detector(model, data, options, proposals);
  const int64_t n = options.limit() > 0 ? std::min(options.limit(), data.size()) : data.size();
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(data.image_id(i));
  if (results) *results = found;
  return score_detections(data.dataset(), std::move(found), ids);
}

Metrics DetectionScores::metrics() const {
  Metrics m;
  const auto names = coco.stat_names();
  for (size_t i = 0; i < names.size() && i < coco.stats.size(); ++i) m[names[i]] = coco.stats[i];
  m["voc07_mAP"] = voc.map07;
  m["voc_mAP"] = voc.map;
  return m;
}

std::string DetectionScores::summary() const { return coco.summary() + "\n" + voc.summary(); }

}  // namespace beyond
