#pragma once
/// Binary masks as COCO run-length encodings: the format of COCO's `segmentation` field, and the
/// representation the COCO evaluator computes mask IoU on. Plain C++ (no LibTorch), so the readers
/// and the evaluator stay light and can be fuzzed on their own.
///
///   auto rle = beyond::mask::encode(pixels.data(), height, width);   // row-major, nonzero = inside
///   std::string counts = beyond::mask::to_string(rle);               // COCO's compressed string
///   auto back = beyond::mask::from_string(counts, height, width, "instances.json, annotation 17");
///
/// Conventions are COCO's (pycocotools' maskApi): runs are counted in column-major (Fortran) order,
/// the first run counts zeros (and may be 0), boxes are [x, y, width, height] in pixels. Counts are
/// 32-bit as in COCO, so a mask has at most 2^32 - 1 pixels (larger sizes are a beyond::Error).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::mask {

struct Rle {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint32_t> counts;  // alternating runs of 0s and 1s, column-major, starting with 0s
};

/// Same size and the same counts (masks built here are canonical: no empty run but the first, so
/// equal masks from encode / merge / from_polygon compare equal).
bool operator==(const Rle& a, const Rle& b);
inline bool operator!=(const Rle& a, const Rle& b) { return !(a == b); }

/// Largest |coordinate| from_polygon accepts: far beyond any image, small enough that COCO's
/// integer arithmetic on the 5x grid cannot overflow and a walk along an edge stays short.
constexpr double kMaxPolygonCoordinate = 1e6;

using Box = std::array<double, 4>;  // x, y, width, height

/// Encodes a row-major [height, width] mask (any nonzero byte is inside).
Rle encode(const uint8_t* mask, int64_t height, int64_t width);
/// Decodes into a row-major [height, width] mask of 0 / 1 bytes.
std::vector<uint8_t> decode(const Rle& rle);

/// COCO's compressed counts string (the `counts` of a compressed-RLE `segmentation`).
std::string to_string(const Rle& rle);
/// Parses a compressed counts string. Throws beyond::Error naming `where` (file and annotation id)
/// if it is malformed or its runs do not sum to height * width.
Rle from_string(const std::string& counts, int64_t height, int64_t width, const std::string& where);

/// Throws beyond::Error naming `where` unless the runs sum to height * width.
void validate(const Rle& rle, const std::string& where);

/// Rasterises one polygon [x0, y0, x1, y1, ...] (at least 3 points) exactly as COCO does, so masks
/// made from polygons here and in pycocotools agree pixel for pixel. Coordinates are in pixels with
/// pixel (x, y) covering [x, x + 1) x [y, y + 1): a pixel is inside when its centre is, so the
/// rectangle (0, 0)-(2, 3) covers 2 x 3 pixels. Throws beyond::Error for fewer than 3 points, an odd
/// count, or coordinates not finite or beyond kMaxPolygonCoordinate.
Rle from_polygon(const std::vector<double>& xy, int64_t height, int64_t width);
/// The union of several polygons (one object's `segmentation` list); no polygon gives an empty mask.
Rle from_polygons(const std::vector<std::vector<double>>& polygons, int64_t height, int64_t width);
/// A box [x, y, w, h] as a mask (COCO's frBbox: the box's polygon rasterised); any finite box,
/// however far outside the image.
Rle from_box(const Box& box, int64_t height, int64_t width);

/// Number of pixels inside.
uint64_t area(const Rle& rle);
/// The tight bounding box [x, y, w, h] of the mask (all zeros for an empty mask).
Box to_box(const Rle& rle);
/// Union (or intersection) of masks of one size (beyond::Error if sizes differ); no masks give a
/// 0 x 0 mask, as in COCO.
Rle merge(const std::vector<Rle>& masks, bool intersect = false);

/// IoU of every detection with every ground truth, row-major [dt.size(), gt.size()]. For a crowd
/// ground truth the denominator is the detection's area alone (COCO's rule: a detection inside a
/// crowd region is not penalised for the rest of the crowd). A pair of masks of different sizes
/// gets -1, as in COCO. `iscrowd` is empty (no crowds) or has one flag per ground truth.
std::vector<double> iou(const std::vector<Rle>& dt, const std::vector<Rle>& gt, const std::vector<uint8_t>& iscrowd);
/// The same for boxes [x, y, w, h] (COCO's bbox IoU, no +1 on widths).
std::vector<double> box_iou(const std::vector<Box>& dt, const std::vector<Box>& gt,
                            const std::vector<uint8_t>& iscrowd);

}  // namespace beyond::mask
