#include "beyond/eval/file_scoring.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/core/log.h"

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

namespace {

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  BEYOND_CHECK(in, "cannot read ", what, " ", path, " (missing or unreadable)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The text of the first <tag>...</tag> in [begin, end) of xml, or npos-marked absence.
bool element(const std::string& xml, size_t begin, size_t end, const std::string& tag, std::string& text) {
  const auto open = xml.find("<" + tag + ">", begin);
  if (open == std::string::npos || open >= end) return false;
  const auto from = open + tag.size() + 2;
  const auto close = xml.find("</" + tag + ">", from);
  if (close == std::string::npos || close > end) return false;
  text = xml.substr(from, close - from);
  const auto b = text.find_first_not_of(" \t\r\n"), e = text.find_last_not_of(" \t\r\n");
  text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  return true;
}

double number(const std::string& text, const std::string& where) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(str(where, ": '", text, "' is not a number"));
}

}  // namespace

std::vector<VocObject> read_voc_objects(const std::string& xml_path, const std::vector<std::string>& classes) {
  const auto xml = read_text(xml_path, "VOC annotation");
  std::vector<VocObject> objects;
  size_t pos = 0;
  for (int index = 0;; ++index) {
    const auto open = xml.find("<object>", pos);
    if (open == std::string::npos) break;
    const auto close = xml.find("</object>", open);
    BEYOND_CHECK(close != std::string::npos, xml_path, ": object ", index, " has no closing </object>");
    pos = close + 9;
    const auto where = str(xml_path, ", object ", index);
    std::string name, difficult, box;
    BEYOND_CHECK(element(xml, open, close, "name", name), where, " has no <name>");
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) continue;
    VocObject o;
    o.label = it - classes.begin();
    if (element(xml, open, close, "difficult", difficult)) o.difficult = number(difficult, where + " <difficult>") != 0;
    const auto bndbox = xml.find("<bndbox>", open);
    BEYOND_CHECK(bndbox != std::string::npos && bndbox < close, where, " (", name, ") has no <bndbox>");
    const char* tags[4] = {"xmin", "ymin", "xmax", "ymax"};
    for (int k = 0; k < 4; ++k) {
      BEYOND_CHECK(element(xml, bndbox, close, tags[k], box), where, " (", name, ") has no <", tags[k], "> in <bndbox>");
      o.box[static_cast<size_t>(k)] = number(box, str(where, " <", tags[k], ">"));
    }
    BEYOND_CHECK(o.box[2] >= o.box[0] && o.box[3] >= o.box[1], where, " (", name, ") has xmax < xmin or ymax < ymin");
    objects.push_back(o);
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
  std::istringstream ids(read_text(set_file, "VOC image set"));
  auto detections = read_voc_detections(pred_dir, set, classes);
  VocEvaluator ev(classes);
  std::string id;
  std::vector<std::string> seen;
  while (ids >> id) {
    std::string rest;
    std::getline(ids, rest);  // class-specific set files carry a flag after the id
    const auto xml = (fs::path(gt_dir) / "Annotations" / (id + ".xml")).string();
    auto it = detections.find(id);
    ev.process(read_voc_objects(xml, classes), it == detections.end() ? std::vector<VocDetection>{} : it->second);
    if (it != detections.end()) detections.erase(it);
  }
  BEYOND_CHECK(ev.num_images() > 0, "VOC image set ", set_file, " lists no images");
  BEYOND_CHECK(detections.empty(), "VOC detections: image '", detections.begin()->first, "' (in ", pred_dir,
               ") is not in the image set ", set_file);
  return ev.evaluate();
}

uint32_t voc_palette_colour(int index) {
  uint32_t r = 0, g = 0, b = 0;
  int c = index;
  for (int j = 0; j < 8; ++j) {
    r |= static_cast<uint32_t>((c >> 0) & 1) << (7 - j);
    g |= static_cast<uint32_t>((c >> 1) & 1) << (7 - j);
    b |= static_cast<uint32_t>((c >> 2) & 1) << (7 - j);
    c >>= 3;
  }
  return (r << 16) | (g << 8) | b;
}

std::vector<uint8_t> read_label_png(const std::string& path, int64_t& height, int64_t& width) {
  const auto image = read_image(path).contiguous();  // uint8 [C, H, W]
  const auto channels = image.size(0);
  height = image.size(1);
  width = image.size(2);
  const auto n = static_cast<size_t>(height * width);
  std::vector<uint8_t> labels(n);
  const auto* px = image.data_ptr<uint8_t>();
  if (channels == 1) {
    std::copy(px, px + n, labels.begin());
    return labels;
  }
  BEYOND_CHECK(channels == 3, path, ": a label PNG must be one-channel or a VOC palette image, got ", channels,
               " channels");
  static const auto inverse = [] {
    std::unordered_map<uint32_t, uint8_t> m;
    for (int i = 255; i >= 0; --i) m[voc_palette_colour(i)] = static_cast<uint8_t>(i);
    return m;
  }();
  for (size_t i = 0; i < n; ++i) {
    const uint32_t rgb = (uint32_t{px[i]} << 16) | (uint32_t{px[n + i]} << 8) | px[2 * n + i];
    const auto it = inverse.find(rgb);
    if (it == inverse.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%06x", rgb);
      throw Error(str(path, ": colour #", hex, " at pixel (row ", i / static_cast<size_t>(width), ", column ",
                      i % static_cast<size_t>(width), ") is not in the VOC palette; write labels as a one-channel PNG"));
    }
    labels[i] = it->second;
  }
  return labels;
}

SemanticSegmentationResult evaluate_label_dirs(const std::string& gt_dir, const std::string& pred_dir,
                                               int64_t num_classes, int64_t ignore_label) {
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
    int64_t gh = 0, gw = 0, ph = 0, pw = 0;
    const auto gt = read_label_png(gt_path.string(), gh, gw);
    const auto pred = read_label_png(pred_path.string(), ph, pw);
    BEYOND_CHECK(gh == ph && gw == pw, pred_path.string(), " is ", pw, "x", ph, " but the ground truth ", gt_path.string(),
                 " is ", gw, "x", gh);
    ev.process(pred.data(), gt.data(), gt.size(), pred_path.string());
  }
  return ev.evaluate();
}

}  // namespace beyond::eval
