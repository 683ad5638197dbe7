#pragma once
/// COCO's JSON formats: the dataset file (images, categories, annotations) and the results file a
/// detector writes (a list of detections with scores). Plain C++ (no LibTorch): the evaluator, the
/// `scenes` generator and the fuzzers use it directly.
///
///   auto gt = beyond::coco::read_dataset("annotations/instances_val.json");
///   auto dt = beyond::coco::read_results("results.json", gt);
///   beyond::coco::write_dataset(gt, "copy.json");
///
/// Errors (beyond::Error) name the file, the byte offset of malformed JSON, and the annotation id of
/// a bad annotation. Where the COCO API itself tolerates something (a missing `area`, a result for a
/// category absent from the file ...) the reader repairs it, logs a warning, and the repair is
/// described at the function.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "beyond/data/mask/rle.h"

namespace beyond::coco {

struct Image {
  int64_t id = 0;
  std::string file_name;
  int64_t width = 0;
  int64_t height = 0;
};

struct Category {
  int64_t id = 0;
  std::string name;
  std::string supercategory;
  std::vector<std::string> keypoints;          // keypoint names, for person-like categories
  std::vector<std::array<int64_t, 2>> skeleton;  // 1-based keypoint index pairs, as in COCO
};

/// An object's mask in whichever encoding the file used, so that reading and writing round-trip.
struct Segmentation {
  enum class Kind { None, Polygons, Rle, CompressedRle };
  Kind kind = Kind::None;
  std::vector<std::vector<double>> polygons;  // Kind::Polygons: [x0, y0, x1, y1, ...] each
  mask::Rle rle;                              // Kind::Rle and Kind::CompressedRle
};

struct Annotation {
  int64_t id = 0;
  int64_t image_id = 0;
  int64_t category_id = 0;
  mask::Box bbox{};  // x, y, width, height
  double area = 0;
  bool iscrowd = false;
  Segmentation segmentation;
  std::vector<double> keypoints;  // [x, y, v] * K; v: 0 not labelled, 1 labelled but hidden, 2 visible
  int64_t num_keypoints = 0;
  double score = 1;  // results only
};

struct Dataset {
  std::vector<Image> images;
  std::vector<Category> categories;
  std::vector<Annotation> annotations;
  std::string info_json = "{}";  // `info` and `licenses`, kept verbatim so that a rewrite keeps them
  std::string licenses_json = "[]";

  /// Index of an image / category by id, or -1.
  int64_t image_index(int64_t id) const;
  int64_t category_index(int64_t id) const;
  /// Rebuilds the id -> index maps; call after editing images or categories by hand.
  void reindex();

 private:
  std::map<int64_t, int64_t> image_index_, category_index_;
};

/// Reads a COCO dataset file. Checks: valid JSON (error with byte offset), required fields and
/// types, unique image / category / annotation ids, annotations referring to existing images and
/// categories, non-negative box sizes, polygons of >= 3 points, RLE sizes equal to the image's and
/// runs summing to height * width.
Dataset read_dataset(const std::string& path);
/// The same from text; `source` names it in messages.
Dataset parse_dataset(const std::string& json_text, const std::string& source);
/// Writes atomically (beyond::write_file_atomic), every field of the structs above.
void write_dataset(const Dataset& dataset, const std::string& path);
std::string dump_dataset(const Dataset& dataset);

/// Reads a COCO results file (a JSON list of {image_id, category_id, score, and bbox, segmentation
/// or keypoints}) against its ground truth, completing each detection as the COCO API's loadRes
/// does: ids numbered from 1, bbox from the mask or the keypoints, area from the box (bbox results),
/// the mask (segm) or the keypoints' extent (keypoints). Results for images not in `gt` are an error.
std::vector<Annotation> read_results(const std::string& path, const Dataset& gt);
std::vector<Annotation> parse_results(const std::string& json_text, const Dataset& gt, const std::string& source);
/// Writes detections as a results file (image_id, category_id, bbox, score, and segmentation as
/// compressed RLE / keypoints when present).
void write_results(const std::vector<Annotation>& detections, const std::string& path);
std::string dump_results(const std::vector<Annotation>& detections);

/// The annotation's mask as RLE on an image of height x width (polygons rasterised, uncompressed
/// RLE taken as is); an annotation without segmentation gives its box (COCO's annToRLE).
mask::Rle to_rle(const Annotation& annotation, int64_t height, int64_t width);

}  // namespace beyond::coco
