#include "beyond/data/formats/voc.h"

#include <png.h>

#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <pugixml.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/data/formats/png_io.h"

namespace beyond::voc {
namespace detail {
namespace {

std::string trimmed(const char* s) {
  std::string t(s);
  const size_t b = t.find_first_not_of(" \t\r\n"), e = t.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
}

/// The text of a required child element; `where` names the file and the object.
std::string required_text(const pugi::xml_node& node, const char* name, const std::string& where,
                          const std::string& path) {
  const pugi::xml_node child = node.child(name);
  BEYOND_CHECK(child, where, ": missing <", path, name, ">");
  return trimmed(child.child_value());
}

double to_number(const std::string& text, const std::string& where, const std::string& field) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  BEYOND_CHECK(!text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(v), where, ": <",
               field, "> must be a number, got '", text, "'");
  return v;
}

int64_t to_integer(const std::string& text, const std::string& where, const std::string& field) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  BEYOND_CHECK(!text.empty() && end == text.c_str() + text.size() && errno == 0, where, ": <", field,
               "> must be an integer, got '", text, "'");
  return v;
}

/// An optional 0 / 1 flag (VOC writes 0 and 1).
bool optional_flag(const pugi::xml_node& node, const char* name, const std::string& where) {
  const pugi::xml_node child = node.child(name);
  if (!child) return false;
  const int64_t v = to_integer(trimmed(child.child_value()), where, name);
  BEYOND_CHECK(v == 0 || v == 1, where, ": <", name, "> must be 0 or 1, got ", v);
  return v == 1;
}

Object parse_object(const pugi::xml_node& node, size_t index, const std::string& source) {
  Object o;
  const std::string at = str(source, ", object ", index);
  o.name = required_text(node, "name", at, "object/");
  BEYOND_CHECK(!o.name.empty(), at, ": empty <object/name>");
  const std::string where = str(at, " ('", o.name, "')");
  if (const pugi::xml_node pose = node.child("pose")) o.pose = trimmed(pose.child_value());
  o.truncated = optional_flag(node, "truncated", where);
  o.difficult = optional_flag(node, "difficult", where);
  o.occluded = optional_flag(node, "occluded", where);
  const pugi::xml_node box = node.child("bndbox");
  BEYOND_CHECK(box, where, ": missing <object/bndbox>");
  o.xmin = to_number(required_text(box, "xmin", where, "bndbox/"), where, "bndbox/xmin");
  o.ymin = to_number(required_text(box, "ymin", where, "bndbox/"), where, "bndbox/ymin");
  o.xmax = to_number(required_text(box, "xmax", where, "bndbox/"), where, "bndbox/xmax");
  o.ymax = to_number(required_text(box, "ymax", where, "bndbox/"), where, "bndbox/ymax");
  BEYOND_CHECK(o.xmin <= o.xmax && o.ymin <= o.ymax, where, ": <bndbox> has xmin > xmax or ymin > ymax (",
               o.xmin, ", ", o.ymin, ", ", o.xmax, ", ", o.ymax, ")");
  return o;
}

// ---- PNG through libpng's classic interface. Errors longjmp back to the setjmp in these plain
// functions, which own no C++ objects, so no destructor is skipped.

using namespace beyond::png_io;

/// Reads the header and sets up sub-byte indices to be unpacked; false (r.error says why) on failure.
bool png_read_header(PngIo& r, png_uint_32& width, png_uint_32& height, int& color_type, int& bit_depth) {
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, png_error_to_buffer, png_ignore_warning);
  if (!r.png) return false;
  r.info = png_create_info_struct(r.png);
  if (!r.info) return false;
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_init_io(r.png, r.file);
  png_read_info(r.png, r.info);
  width = png_get_image_width(r.png, r.info);
  height = png_get_image_height(r.png, r.info);
  color_type = png_get_color_type(r.png, r.info);
  bit_depth = png_get_bit_depth(r.png, r.info);
  if (bit_depth < 8) png_set_packing(r.png);  // 1, 2, 4-bit indices -> one byte each
  png_read_update_info(r.png, r.info);
  return true;
}

bool png_read_rows(PngIo& r, png_bytep* rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, nullptr);
  return true;
}

}  // namespace
}  // namespace detail

Annotation read_annotation(const std::string& path) { return parse_annotation(read_file(path), path); }

Annotation parse_annotation(const std::string& xml_text, const std::string& source) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml_text.data(), xml_text.size());
  BEYOND_CHECK(parsed, source, ": malformed XML at byte ", parsed.offset, " (", parsed.description(), ")");
  const pugi::xml_node root = doc.child("annotation");
  BEYOND_CHECK(root, source, ": missing the root element <annotation> (not a VOC annotation file?)");
  Annotation a;
  if (const pugi::xml_node folder = root.child("folder")) a.folder = detail::trimmed(folder.child_value());
  a.filename = detail::required_text(root, "filename", source, "");
  const pugi::xml_node size = root.child("size");
  BEYOND_CHECK(size, source, ": missing <size>");
  a.width = detail::to_integer(detail::required_text(size, "width", source, "size/"), source, "size/width");
  a.height = detail::to_integer(detail::required_text(size, "height", source, "size/"), source, "size/height");
  BEYOND_CHECK(a.width >= 0 && a.height >= 0, source, ": negative <size> ", a.width, "x", a.height);
  if (const pugi::xml_node depth = size.child("depth"))
    a.depth = detail::to_integer(detail::trimmed(depth.child_value()), source, "size/depth");
  a.segmented = detail::optional_flag(root, "segmented", source);
  size_t index = 0;
  for (const pugi::xml_node object : root.children("object")) a.objects.push_back(detail::parse_object(object, index++, source));
  return a;
}

std::vector<ImageSetEntry> read_image_set(const std::string& path) { return parse_image_set(read_file(path), path); }

std::vector<ImageSetEntry> parse_image_set(const std::string& text, const std::string& source) {
  std::vector<ImageSetEntry> out;
  std::istringstream lines(text);
  std::string line;
  for (int64_t n = 1; std::getline(lines, line); ++n) {
    std::istringstream fields(line);
    ImageSetEntry e;
    if (!(fields >> e.id)) continue;  // blank line
    std::string flag, extra;
    if (fields >> flag) {
      BEYOND_CHECK(flag == "1" || flag == "-1" || flag == "0", source, ", line ", n, ": the flag after '", e.id,
                   "' must be 1, -1 or 0, got '", flag, "'");
      e.flag = std::stoi(flag);
    }
    BEYOND_CHECK(!(fields >> extra), source, ", line ", n, ": expected '<id>' or '<id> <flag>', got '", line, "'");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> image_ids(const std::vector<ImageSetEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries)
    if (e.flag != -1) ids.push_back(e.id);
  return ids;
}

LabelImage read_label_png(const std::string& path) {
  detail::PngIo r;
  r.file = std::fopen(path.c_str(), "rb");
  BEYOND_CHECK(r.file, "cannot open ", path, ": ", std::strerror(errno));
  png_uint_32 width = 0, height = 0;
  int color_type = 0, bit_depth = 0;
  LabelImage image;
  std::string error;
  if (!detail::png_read_header(r, width, height, color_type, bit_depth)) {
    error = str(path, ": not a readable PNG (", r.error[0] ? r.error : "libpng failed", ")");
  } else if (!(color_type == PNG_COLOR_TYPE_PALETTE || (color_type == PNG_COLOR_TYPE_GRAY && bit_depth <= 8))) {
    error = str(path, ": a label PNG must be a palette (or 8-bit grayscale) image, this one has colour type ",
                color_type, " and bit depth ", bit_depth, " (its values would be colours, not class indices)");
  } else {
    image.height = height;
    image.width = width;
    image.labels.resize(static_cast<size_t>(width) * height);
    std::vector<png_bytep> rows(height);
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.labels.data() + static_cast<size_t>(y) * width;
    if (!detail::png_read_rows(r, rows.data())) error = str(path, ": damaged PNG (", r.error, ")");
  }
  png_destroy_read_struct(&r.png, &r.info, nullptr);
  std::fclose(r.file);
  if (!error.empty()) throw Error(error);
  return image;
}

void write_label_png(const std::string& path, const LabelImage& image) {
  BEYOND_CHECK(image.height >= 1 && image.width >= 1 &&
                   image.labels.size() == static_cast<size_t>(image.height * image.width),
               "write_label_png(", path, "): ", image.labels.size(), " labels for a ", image.height, "x",
               image.width, " image (PNG needs at least 1x1)");
  std::array<png_color, 256> colours{};
  const auto map = palette();
  for (size_t i = 0; i < 256; ++i) colours[i] = {map[i][0], map[i][1], map[i][2]};
  png_io::write_png8(path, image.labels.data(), image.width, image.height, colours.data());
}

std::array<std::array<uint8_t, 3>, 256> palette() {
  // VOC's colour map: the bits of the label, three at a time, fill the colour channels from the
  // most significant bit down.
  std::array<std::array<uint8_t, 3>, 256> map{};
  for (int i = 0; i < 256; ++i) {
    int c = i;
    uint8_t rgb[3] = {0, 0, 0};
    for (int bit = 7; bit >= 0; --bit, c >>= 3)
      for (int ch = 0; ch < 3; ++ch) rgb[ch] |= static_cast<uint8_t>(((c >> ch) & 1) << bit);
    map[i] = {rgb[0], rgb[1], rgb[2]};
  }
  return map;
}

}  // namespace beyond::voc
