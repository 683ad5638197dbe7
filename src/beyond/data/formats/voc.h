#pragma once
/// Pascal VOC's files: annotation XML (Annotations/<id>.xml), image sets (ImageSets/Main/<set>.txt
/// and the per-class <class>_<set>.txt) and segmentation PNGs (SegmentationClass/<id>.png,
/// SegmentationObject/<id>.png). Plain C++ (no LibTorch).
///
///   auto ann = beyond::voc::read_annotation("VOC2007/Annotations/000005.xml");
///   for (const auto& o : ann.objects) use(o.name, o.box(), o.difficult);
///   auto ids = beyond::voc::read_image_set("VOC2007/ImageSets/Main/val.txt");
///   auto seg = beyond::voc::read_label_png("VOC2012/SegmentationClass/2007_000032.png");
///
/// Coordinates: VOC writes boxes as 1-based, inclusive pixel indices: xmin = 1 is the first column,
/// and a box with xmin = xmax covers one column. Object keeps the file's numbers (xmin ... ymax, as
/// the VOC devkit's evaluation uses them, with its +1 on widths); Object::box() converts them to
/// this library's convention (COCO's), 0-based continuous coordinates where pixel i covers
/// [i, i + 1): [xmin - 1, ymin - 1, xmax, ymax] (as detectron2 does), so width = xmax - xmin + 1.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::voc {

struct Object {
  std::string name;                   // class name, e.g. "dog"
  std::string pose = "Unspecified";   // Frontal, Rear, Left, Right or Unspecified
  bool truncated = false;
  bool difficult = false;             // VOC's evaluation ignores difficult objects
  bool occluded = false;
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // as in the file: 1-based, inclusive

  /// [x0, y0, x1, y1] in 0-based continuous pixel coordinates: (xmin - 1, ymin - 1, xmax, ymax).
  std::array<double, 4> box() const { return {xmin - 1, ymin - 1, xmax, ymax}; }
};

struct Annotation {
  std::string folder;    // e.g. "VOC2007"; "" if absent
  std::string filename;  // the image's file name, e.g. "000005.jpg"
  int64_t width = 0, height = 0, depth = 3;
  bool segmented = false;  // the image has SegmentationClass / SegmentationObject PNGs
  std::vector<Object> objects;
};

/// Reads one annotation XML. Required: <filename>, <size> with <width> and <height>, and for each
/// <object> its <name> and <bndbox> with <xmin> <ymin> <xmax> <ymax> (numbers, xmin <= xmax,
/// ymin <= ymax); a missing or malformed one is a beyond::Error naming the file, the object (index
/// and name) and the field. Optional, with VOC's defaults: <folder>, <depth> (3), <segmented> (0),
/// <pose> ("Unspecified"), <truncated>, <difficult>, <occluded> (0).
Annotation read_annotation(const std::string& path);
/// The same from text; `source` names it in messages.
Annotation parse_annotation(const std::string& xml_text, const std::string& source);

/// One line of an image set: the image id, and for per-class sets (<class>_<set>.txt, lines
/// "<id> <flag>") the flag: 1 the class is present, -1 absent, 0 present only as difficult objects.
/// Plain sets (<set>.txt, one id per line) give flag 1.
struct ImageSetEntry {
  std::string id;
  int flag = 1;
};

/// Reads an image set file: one "<id>" or "<id> <flag>" per line (blank lines skipped). Errors
/// name the file and the line.
std::vector<ImageSetEntry> read_image_set(const std::string& path);
std::vector<ImageSetEntry> parse_image_set(const std::string& text, const std::string& source);
/// Only the ids with flag != -1 (the images a per-class set says contain the class); for plain sets,
/// every id.
std::vector<std::string> image_ids(const std::vector<ImageSetEntry>& entries);

/// A label image: one byte per pixel, row-major [height, width]. For VOC segmentations the value is
/// the class index (0 background, 1..20 the classes) and 255 marks the "void" border / ignore.
struct LabelImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> labels;
};

/// The ignore label of VOC's segmentations.
constexpr uint8_t kIgnoreLabel = 255;

/// Reads the palette INDICES of a palette PNG (VOC's segmentations are palette PNGs whose colours
/// are only for viewing; OpenCV would return the colours). 8-bit grayscale PNGs are read as labels
/// too. Anything else (RGB, 16-bit, not a PNG) is a beyond::Error naming the file.
LabelImage read_label_png(const std::string& path);
/// Writes labels as an 8-bit palette PNG with VOC's colour map (so VOC tools and image viewers
/// show the usual colours), atomically.
void write_label_png(const std::string& path, const LabelImage& image);
/// VOC's colour map: entry i is the RGB colour of label i (0 black, 1 dark red, ..., 255 cream).
std::array<std::array<uint8_t, 3>, 256> palette();

}  // namespace beyond::voc
