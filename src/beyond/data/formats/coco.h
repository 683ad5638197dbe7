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

/// Reads a COCO dataset file. Checks (beyond::Error naming the file and the image / category /
/// annotation id): valid JSON (error with the byte offset, line and column), required fields
/// (image id, file_name, width, height; category id, name; annotation id, image_id, category_id)
/// and their types, unique image / category / annotation ids, annotations referring to existing
/// images and categories, boxes [x, y, w, h] with w, h >= 0, polygons of >= 3 points (an even count
/// >= 6 of finite numbers), RLE sizes equal to the image's [height, width] and runs summing to
/// height * width, keypoints as [x, y, v] triples (3 * K numbers if the category names K), skeleton
/// indices within 1..K, iscrowd 0 / 1 (or a JSON bool).
///
/// Tolerated and repaired (one warning per kind of repair and file, with a count and the first id):
/// - no `iscrowd`: 0;
/// - no `area`: the pixel count of the mask (to_rle on the image's size), or w * h without a mask.
///   (COCO's own areas of polygons are polygon areas, not pixel counts; they are kept when present);
/// - no `bbox`: the tight box of the mask (an error if there is no mask either);
/// - `keypoints` without `num_keypoints`: the number of keypoints with v > 0;
/// - `segmentation: []`: kept as zero polygons (an empty mask; pycocotools would fail on it).
/// Not kept: other fields of images (license, url, dates), annotations and the top level, except
/// `info` and `licenses`; a `segmentation: null` reads as none.
Dataset read_dataset(const std::string& path);
/// The same from text; `source` names it in messages.
Dataset parse_dataset(const std::string& json_text, const std::string& source);
/// Writes atomically (beyond::write_file_atomic), every field of the structs above.
void write_dataset(const Dataset& dataset, const std::string& path);
std::string dump_dataset(const Dataset& dataset);

/// Reads a COCO results file (a JSON list of {image_id, category_id, score, and bbox, segmentation
/// or keypoints}) against its ground truth, completing each detection as the COCO API's loadRes
/// does. As there, the FIRST detection decides the kind of the whole file:
/// - it has a non-empty `bbox`: box results; every detection needs a bbox, area = w * h, and a
///   detection without segmentation has its box as mask (to_rle gives the box polygon, as loadRes);
///   a file with both bbox and segmentation is therefore read as box results (area = w * h);
/// - else it has `segmentation`: mask results; area = the mask's pixel count, bbox = the given one
///   or the mask's box. Compressed RLE as COCO expects; uncompressed RLE and polygons (rasterised on
///   the image's size) are accepted too;
/// - else it has `keypoints`: area and bbox from the extent of all keypoints, unlabelled ones
///   included, as loadRes does.
/// Ids are numbered from 1 in file order; iscrowd is false. Errors: a detection without `score`
/// (COCOeval needs it), results for images not in `gt`, and the dataset checks on boxes, masks and
/// keypoints. Repaired with a warning: a category_id absent from `gt` (kept; the evaluator only
/// scores gt's categories); an empty list gives no detections (pycocotools would fail).
std::vector<Annotation> read_results(const std::string& path, const Dataset& gt);
std::vector<Annotation> parse_results(const std::string& json_text, const Dataset& gt, const std::string& source);
/// Writes detections as a results file (image_id, category_id, bbox, score, and segmentation as
/// compressed RLE / keypoints when present).
void write_results(const std::vector<Annotation>& detections, const std::string& path);
std::string dump_results(const std::vector<Annotation>& detections);

/// The extent [x, y, w, h] of keypoints [x, y, v] * K over all K points, labelled or not: the box and
/// (w * h) the area that loadRes gives a keypoints result. `keypoints` has at least one point.
mask::Box keypoints_extent(const std::vector<double>& keypoints);

/// The annotation's mask as RLE on an image of height x width (polygons rasterised, uncompressed
/// RLE taken as is); an annotation without segmentation gives its box (COCO's annToRLE).
mask::Rle to_rle(const Annotation& annotation, int64_t height, int64_t width);

}  // namespace beyond::coco
