#include "beyond/eval/file_scoring.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/formats/voc.h"

namespace beyond::eval {

namespace fs = std::filesystem;

std::vector<std::string> voc_class_names() {
  return {"aeroplane", "bicycle", "bird",  "boat",      "bottle", "bus",         "car",   "cat",   "chair", "cow",
          "diningtable", "dog",   "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"};
}

std::vector<std::string> split_names(const std::string& comma_separated) {
  std::vector<std::string> out;
  std::stringstream in(comma_separated);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::vector<VocObject> voc_objects(const voc::Annotation& annotation, const std::vector<std::string>& classes) {
  std::vector<VocObject> objects;
  for (const auto& o : annotation.objects) {
    const auto it = std::find(classes.begin(), classes.end(), o.name);
    if (it == classes.end()) continue;
    objects.push_back({it - classes.begin(), {o.xmin, o.ymin, o.xmax, o.ymax}, o.difficult});
  }
  return objects;
}

std::map<std::string, std::vector<VocDetection>> read_voc_detections(const std::string& pred_dir, const std::string& set,
                                                                     const std::vector<std::string>& classes) {
  BEYOND_CHECK(fs::is_directory(pred_dir), "VOC detections: ", pred_dir,
               " is not a directory (expected the devkit's <comp>_det_<set>_<class>.txt files)");
  std::map<std::string, std::vector<VocDetection>> out;
  for (size_t c = 0; c < classes.size(); ++c) {
    const std::string suffix = "_det_" + set + "_" + classes[c] + ".txt";
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(pred_dir)) {
      const auto name = entry.path().filename().string();
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        files.push_back(entry.path().string());
    }
    if (files.empty()) {
      log::warn(str("VOC detections: no file *", suffix, " in ", pred_dir, "; class ", classes[c], " has no detections"));
      continue;
    }
    BEYOND_CHECK(files.size() == 1, "VOC detections: several files end in ", suffix, " in ", pred_dir,
                 " (e.g. comp3 and comp4); keep one");
    std::ifstream in(files[0]);
    std::string line;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::istringstream fields(line);
      std::string id;
      VocDetection d;
      d.label = static_cast<int64_t>(c);
      fields >> id >> d.score >> d.box[0] >> d.box[1] >> d.box[2] >> d.box[3];
      BEYOND_CHECK(!fields.fail(), files[0], ":", lineno, ": expected '<image id> <score> <x1> <y1> <x2> <y2>', got '",
                   line, "'");
      out[id].push_back(d);
    }
  }
  return out;
}

VocResult evaluate_voc_files(const std::string& gt_dir, const std::string& set, const std::string& pred_dir,
                             const std::vector<std::string>& classes) {
  const auto set_file = (fs::path(gt_dir) / "ImageSets" / "Main" / (set + ".txt")).string();
  const auto ids = voc::image_ids(voc::read_image_set(set_file));
  BEYOND_CHECK(!ids.empty(), "VOC image set ", set_file, " lists no images");
  auto detections = read_voc_detections(pred_dir, set, classes);
  VocEvaluator ev(classes);
  for (const auto& id : ids) {
    const auto xml = (fs::path(gt_dir) / "Annotations" / (id + ".xml")).string();
    auto it = detections.find(id);
    ev.process(voc_objects(voc::read_annotation(xml), classes),
               it == detections.end() ? std::vector<VocDetection>{} : it->second);
    if (it != detections.end()) detections.erase(it);
  }
  BEYOND_CHECK(detections.empty(), "VOC detections: image '", detections.begin()->first, "' (in ", pred_dir,
               ") is not in the image set ", set_file);
  return ev.evaluate();
}

SemanticSegmentationResult evaluate_label_dirs(const std::string& gt_dir, const std::string& pred_dir,
                                               int64_t num_classes, int64_t ignore_label,
                                               BoundaryFScoreEvaluator* boundary) {
  BEYOND_CHECK(fs::is_directory(gt_dir), "segmentation ground truth: ", gt_dir, " is not a directory");
  BEYOND_CHECK(fs::is_directory(pred_dir), "segmentation predictions: ", pred_dir, " is not a directory");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(gt_dir))
    if (entry.path().extension() == ".png") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  BEYOND_CHECK(!files.empty(), "segmentation ground truth: no .png files in ", gt_dir);
  SemanticSegmentationEvaluator ev(num_classes, ignore_label);
  for (const auto& gt_path : files) {
    const auto pred_path = fs::path(pred_dir) / gt_path.filename();
    BEYOND_CHECK(fs::exists(pred_path), "segmentation predictions: ", pred_path.string(), " is missing (ground truth ",
                 gt_path.string(), ")");
    const auto gt = voc::read_label_png(gt_path.string());
    const auto pred = voc::read_label_png(pred_path.string());
    BEYOND_CHECK(gt.height == pred.height && gt.width == pred.width, pred_path.string(), " is ", pred.width, "x",
                 pred.height, " but the ground truth ", gt_path.string(), " is ", gt.width, "x", gt.height);
    ev.process(pred.labels.data(), gt.labels.data(), gt.labels.size(), pred_path.string());
    if (boundary) boundary->process(pred.labels.data(), gt.labels.data(), gt.height, gt.width, pred_path.string());
  }
  return ev.evaluate();
}

}  // namespace beyond::eval
