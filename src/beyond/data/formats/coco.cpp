#include "beyond/data/formats/coco.h"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"

namespace beyond::coco {
namespace detail {
namespace {

// Read into ordered_json too: its small vector-backed objects parse about twice as fast as
// std::map-backed ones (COCO objects have a handful of keys), and `info` keeps its key order.
using json = nlohmann::ordered_json;
using ordered_json = nlohmann::ordered_json;

json parse_json(const std::string& text, const std::string& source) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // what() starts with "[json.exception.parse_error.101] "; the rest says line, column and why.
    std::string why = e.what();
    if (const size_t p = why.find("] "); p != std::string::npos && why[0] == '[') why = why.substr(p + 2);
    throw Error(str(source, ": malformed JSON at byte ", e.byte, " (", why,
                    "); check the file is complete and valid JSON"));
  } catch (const json::exception& e) {
    // E.g. out_of_range for a number beyond double's range ("1e999").
    throw Error(str(source, ": unreadable JSON (", e.what(), ")"));
  }
}

const char* type_name(const json& j) { return j.type_name(); }

/// Names a place in the file ("instances.json, annotation id 17") in messages. Rendered only when a
/// message is built: a reader of half a million detections should not format half a million names.
struct Where {
  const std::string& source;
  const char* what;  // "annotation id", "result", "annotations[" ...
  int64_t id;
  std::string text() const { return str(*this); }
};

std::ostream& operator<<(std::ostream& os, const Where& w) {
  const bool index = w.what[std::strlen(w.what) - 1] == '[';  // ("images[", 3) -> "images[3]"
  os << w.source << ", " << w.what;
  return index ? os << w.id << "]" : os << " " << w.id;
}

int64_t as_int(const json& j, const Where& where, const char* key) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(str(where, ": `", key, "` is too large: ", j.dump()));
    return j.get<int64_t>();
  }
  if (j.is_number_float()) {
    const double v = j.get<double>();
    if (std::isfinite(v) && std::floor(v) == v && std::abs(v) < 9.0e15) return static_cast<int64_t>(v);
    throw Error(str(where, ": `", key, "` must be an integer, got ", j.dump()));
  }
  throw Error(str(where, ": `", key, "` must be an integer, got ", type_name(j)));
}

double as_number(const json& j, const Where& where, const char* key) {
  BEYOND_CHECK(j.is_number(), where, ": `", key, "` must be a number, got ", type_name(j));
  const double v = j.get<double>();
  BEYOND_CHECK(std::isfinite(v), where, ": `", key, "` must be finite, got ", v);
  return v;
}

const json* find(const json& obj, const char* key) {
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json& require(const json& obj, const char* key, const Where& where) {
  const json* j = find(obj, key);
  BEYOND_CHECK(j != nullptr, where, ": missing required field `", key, "`");
  return *j;
}

std::vector<double> as_numbers(const json& j, const Where& where, const char* key) {
  BEYOND_CHECK(j.is_array(), where, ": `", key, "` must be an array of numbers, got ", type_name(j));
  std::vector<double> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(as_number(v, where, key));
  return out;
}

const json& as_array(const json& j, const Where& where, const char* key) {
  BEYOND_CHECK(j.is_array(), where, ": `", key, "` must be an array, got ", type_name(j));
  return j;
}

/// Repairs of tolerated faults, reported once per kind with a count and the first annotation.
class Repairs {
 public:
  explicit Repairs(std::string source) : source_(std::move(source)) {}
  void note(const char* what, const Where& first) {
    auto& r = seen_[what];
    if (r.first++ == 0) r.second = first.text();
  }
  ~Repairs() {
    for (const auto& [what, r] : seen_)
      log::warn(str(source_, ": ", r.first, " ", what, " (first: ", r.second, ")"));
  }

 private:
  std::string source_;
  std::map<std::string, std::pair<int64_t, std::string>> seen_;
};

mask::Box parse_box(const json& j, const Where& where) {
  const std::vector<double> v = as_numbers(j, where, "bbox");
  BEYOND_CHECK(v.size() == 4, where, ": `bbox` must have 4 numbers [x, y, width, height], got ", v.size());
  BEYOND_CHECK(v[2] >= 0 && v[3] >= 0, where, ": `bbox` has negative width or height [", v[0], ", ", v[1], ", ",
               v[2], ", ", v[3], "] (COCO boxes are [x, y, width, height], not corners)");
  return {v[0], v[1], v[2], v[3]};
}

std::vector<uint32_t> parse_counts(const json& j, const Where& where) {
  std::vector<uint32_t> counts;
  counts.reserve(j.size());
  for (const auto& c : j) {
    const int64_t v = as_int(c, where, "segmentation.counts");
    BEYOND_CHECK(v >= 0 && v <= std::numeric_limits<uint32_t>::max(), where,
                 ": `segmentation.counts` has the invalid run length ", v);
    counts.push_back(static_cast<uint32_t>(v));
  }
  return counts;
}

/// Any of COCO's three encodings; RLE sizes must be the image's.
Segmentation parse_segmentation(const json& j, const Image& image, const Where& where) {
  Segmentation seg;
  if (j.is_array()) {
    seg.kind = Segmentation::Kind::Polygons;
    seg.polygons.reserve(j.size());
    for (const auto& p : j) {
      std::vector<double> xy = as_numbers(p, where, "segmentation");
      BEYOND_CHECK(xy.size() >= 6 && xy.size() % 2 == 0, where, ": polygon ", seg.polygons.size(), " has ",
                   xy.size(), " numbers; a polygon needs at least 3 points [x0, y0, x1, y1, x2, y2, ...]");
      for (double v : xy)
        BEYOND_CHECK(std::abs(v) <= mask::kMaxPolygonCoordinate, where, ": polygon coordinate ", v,
                     " is far outside any image");
      seg.polygons.push_back(std::move(xy));
    }
    return seg;
  }
  BEYOND_CHECK(j.is_object(), where, ": `segmentation` must be a list of polygons or an RLE object, got ",
               type_name(j));
  const json& size = require(j, "size", where);
  BEYOND_CHECK(size.is_array() && size.size() == 2, where, ": `segmentation.size` must be [height, width]");
  const int64_t h = as_int(size[0], where, "segmentation.size"), w = as_int(size[1], where, "segmentation.size");
  BEYOND_CHECK(h == image.height && w == image.width, where, ": RLE size [", h, ", ", w,
               "] differs from the size of image ", image.id, " [", image.height, ", ", image.width,
               "] (masks are [height, width] of their image)");
  const json& counts = require(j, "counts", where);
  if (counts.is_string()) {
    seg.kind = Segmentation::Kind::CompressedRle;
    seg.rle = mask::from_string(counts.get_ref<const std::string&>(), h, w, where.text());
  } else {
    BEYOND_CHECK(counts.is_array(), where, ": `segmentation.counts` must be a string or a list of run lengths, got ",
                 type_name(counts));
    seg.kind = Segmentation::Kind::Rle;
    seg.rle = mask::Rle{h, w, parse_counts(counts, where)};
    mask::validate(seg.rle, where.text());
  }
  return seg;
}

std::vector<double> parse_keypoints(const json& j, const Where& where) {
  std::vector<double> kp = as_numbers(j, where, "keypoints");
  BEYOND_CHECK(kp.size() % 3 == 0, where, ": `keypoints` must be [x, y, v] triples, got ", kp.size(), " numbers");
  return kp;
}

int64_t count_labelled(const std::vector<double>& kp) {
  int64_t n = 0;
  for (size_t i = 2; i < kp.size(); i += 3) n += kp[i] > 0;
  return n;
}

Image parse_image(const json& j, const std::string& source, size_t index) {
  const Where at{source, "images[", static_cast<int64_t>(index)};
  BEYOND_CHECK(j.is_object(), at, ": an image must be an object, got ", type_name(j));
  Image im;
  im.id = as_int(require(j, "id", at), at, "id");
  const Where where{source, "image id", im.id};
  const json& name = require(j, "file_name", where);
  BEYOND_CHECK(name.is_string(), where, ": `file_name` must be a string");
  im.file_name = name.get<std::string>();
  im.width = as_int(require(j, "width", where), where, "width");
  im.height = as_int(require(j, "height", where), where, "height");
  BEYOND_CHECK(im.width >= 0 && im.height >= 0, where, ": negative size ", im.width, "x", im.height);
  return im;
}

Category parse_category(const json& j, const std::string& source, size_t index) {
  const Where at{source, "categories[", static_cast<int64_t>(index)};
  BEYOND_CHECK(j.is_object(), at, ": a category must be an object, got ", type_name(j));
  Category c;
  c.id = as_int(require(j, "id", at), at, "id");
  const Where where{source, "category id", c.id};
  const json& name = require(j, "name", where);
  BEYOND_CHECK(name.is_string(), where, ": `name` must be a string");
  c.name = name.get<std::string>();
  if (const json* s = find(j, "supercategory")) {
    BEYOND_CHECK(s->is_string(), where, ": `supercategory` must be a string");
    c.supercategory = s->get<std::string>();
  }
  if (const json* k = find(j, "keypoints")) {
    for (const auto& n : as_array(*k, where, "keypoints")) {
      BEYOND_CHECK(n.is_string(), where, ": `keypoints` must be a list of names");
      c.keypoints.push_back(n.get<std::string>());
    }
  }
  if (const json* s = find(j, "skeleton")) {
    for (const auto& e : as_array(*s, where, "skeleton")) {
      BEYOND_CHECK(e.is_array() && e.size() == 2, where, ": `skeleton` must be a list of [a, b] keypoint pairs");
      const std::array<int64_t, 2> pair{as_int(e[0], where, "skeleton"), as_int(e[1], where, "skeleton")};
      for (int64_t v : pair)
        BEYOND_CHECK(v >= 1 && v <= static_cast<int64_t>(c.keypoints.size()), where, ": `skeleton` refers to keypoint ",
                     v, " but the category has ", c.keypoints.size(), " keypoints (indices are 1-based)");
      c.skeleton.push_back(pair);
    }
  }
  return c;
}

Annotation parse_annotation(const json& j, const Dataset& d, const std::string& source, size_t index,
                            Repairs& repairs) {
  const Where at{source, "annotations[", static_cast<int64_t>(index)};
  BEYOND_CHECK(j.is_object(), at, ": an annotation must be an object, got ", type_name(j));
  Annotation a;
  a.id = as_int(require(j, "id", at), at, "id");
  const Where where{source, "annotation id", a.id};
  a.image_id = as_int(require(j, "image_id", where), where, "image_id");
  a.category_id = as_int(require(j, "category_id", where), where, "category_id");
  const int64_t ii = d.image_index(a.image_id);
  BEYOND_CHECK(ii >= 0, where, ": image_id ", a.image_id, " is not among the file's images");
  const int64_t ci = d.category_index(a.category_id);
  BEYOND_CHECK(ci >= 0, where, ": category_id ", a.category_id, " is not among the file's categories");
  const Image& image = d.images[static_cast<size_t>(ii)];
  if (const json* s = find(j, "segmentation"); s && !s->is_null()) {
    a.segmentation = parse_segmentation(*s, image, where);
    if (a.segmentation.kind == Segmentation::Kind::Polygons && a.segmentation.polygons.empty())
      repairs.note("annotations have an empty polygon list; their masks are empty", where);
  }
  if (const json* b = find(j, "bbox")) {
    a.bbox = parse_box(*b, where);
  } else {
    BEYOND_CHECK(a.segmentation.kind != Segmentation::Kind::None, where,
                 ": missing `bbox` and no `segmentation` to compute it from");
    a.bbox = mask::to_box(to_rle(a, image.height, image.width));
    repairs.note("annotations have no `bbox`; computed as the box of their mask", where);
  }
  if (const json* c = find(j, "iscrowd")) {
    if (c->is_boolean()) {
      a.iscrowd = c->get<bool>();
    } else {
      const int64_t v = as_int(*c, where, "iscrowd");
      BEYOND_CHECK(v == 0 || v == 1, where, ": `iscrowd` must be 0 or 1, got ", v);
      a.iscrowd = v == 1;
    }
  } else {
    repairs.note("annotations have no `iscrowd`; taken as 0", where);
  }
  if (const json* k = find(j, "keypoints")) {
    a.keypoints = parse_keypoints(*k, where);
    const auto& names = d.categories[static_cast<size_t>(ci)].keypoints;
    BEYOND_CHECK(names.empty() || a.keypoints.size() == 3 * names.size(), where, ": ", a.keypoints.size() / 3,
                 " keypoints but category ", a.category_id, " names ", names.size());
  }
  if (const json* n = find(j, "num_keypoints")) {
    a.num_keypoints = as_int(*n, where, "num_keypoints");
  } else if (!a.keypoints.empty()) {
    a.num_keypoints = count_labelled(a.keypoints);
    repairs.note("annotations have `keypoints` but no `num_keypoints`; counted the labelled ones (v > 0)", where);
  }
  if (const json* ar = find(j, "area")) {
    a.area = as_number(*ar, where, "area");
    BEYOND_CHECK(a.area >= 0, where, ": negative `area` ", a.area);
  } else {
    a.area = a.segmentation.kind == Segmentation::Kind::None
                 ? a.bbox[2] * a.bbox[3]
                 : static_cast<double>(mask::area(to_rle(a, image.height, image.width)));
    repairs.note("annotations have no `area`; computed as the pixel count of their mask (of their box if no mask)",
                 where);
  }
  if (const json* s = find(j, "score")) a.score = as_number(*s, where, "score");
  return a;
}

ordered_json segmentation_json(const Segmentation& s) {
  switch (s.kind) {
    case Segmentation::Kind::Polygons: {
      ordered_json polys = ordered_json::array();
      for (const auto& p : s.polygons) polys.push_back(p);
      return polys;
    }
    case Segmentation::Kind::Rle:
      return ordered_json{{"size", {s.rle.height, s.rle.width}}, {"counts", s.rle.counts}};
    case Segmentation::Kind::CompressedRle:
      return ordered_json{{"size", {s.rle.height, s.rle.width}}, {"counts", mask::to_string(s.rle)}};
    case Segmentation::Kind::None: break;
  }
  return nullptr;
}

ordered_json box_json(const mask::Box& b) { return ordered_json::array({b[0], b[1], b[2], b[3]}); }

/// Which kind of result file this is, decided by its first element as the COCO API does.
enum class ResultKind { Bbox, Segm, Keypoints };

}  // namespace
}  // namespace detail

using detail::json;
using detail::ordered_json;

int64_t Dataset::image_index(int64_t id) const {
  const auto it = image_index_.find(id);
  return it == image_index_.end() ? -1 : it->second;
}

int64_t Dataset::category_index(int64_t id) const {
  const auto it = category_index_.find(id);
  return it == category_index_.end() ? -1 : it->second;
}

void Dataset::reindex() {
  image_index_.clear();
  category_index_.clear();
  for (size_t i = 0; i < images.size(); ++i) image_index_[images[i].id] = static_cast<int64_t>(i);
  for (size_t i = 0; i < categories.size(); ++i) category_index_[categories[i].id] = static_cast<int64_t>(i);
}

Dataset read_dataset(const std::string& path) { return parse_dataset(read_file(path), path); }

Dataset parse_dataset(const std::string& json_text, const std::string& source) {
  const json root = detail::parse_json(json_text, source);
  BEYOND_CHECK(root.is_object(), source, ": a COCO dataset must be a JSON object with `images`, `categories` and ",
               "`annotations`, got ", root.type_name());
  Dataset d;
  if (const json* info = detail::find(root, "info")) d.info_json = info->dump();
  if (const json* lic = detail::find(root, "licenses")) d.licenses_json = lic->dump();
  auto section = [&](const char* key) -> const json* {
    const json* s = detail::find(root, key);
    if (s) BEYOND_CHECK(s->is_array(), source, ": `", key, "` must be an array, got ", s->type_name());
    return s;
  };
  if (const json* images = section("images")) {
    d.images.reserve(images->size());
    std::set<int64_t> ids;
    for (size_t i = 0; i < images->size(); ++i) {
      d.images.push_back(detail::parse_image((*images)[i], source, i));
      BEYOND_CHECK(ids.insert(d.images.back().id).second, source, ": duplicate image id ", d.images.back().id);
    }
  }
  if (const json* cats = section("categories")) {
    d.categories.reserve(cats->size());
    std::set<int64_t> ids;
    for (size_t i = 0; i < cats->size(); ++i) {
      d.categories.push_back(detail::parse_category((*cats)[i], source, i));
      BEYOND_CHECK(ids.insert(d.categories.back().id).second, source, ": duplicate category id ",
                   d.categories.back().id);
    }
  }
  d.reindex();
  if (const json* anns = section("annotations")) {
    d.annotations.reserve(anns->size());
    std::set<int64_t> ids;
    detail::Repairs repairs(source);
    for (size_t i = 0; i < anns->size(); ++i) {
      d.annotations.push_back(detail::parse_annotation((*anns)[i], d, source, i, repairs));
      BEYOND_CHECK(ids.insert(d.annotations.back().id).second, source, ": duplicate annotation id ",
                   d.annotations.back().id, " (annotations[", i, "])");
    }
  }
  return d;
}

std::string dump_dataset(const Dataset& d) {
  ordered_json root;
  root["info"] = ordered_json::parse(d.info_json);
  root["licenses"] = ordered_json::parse(d.licenses_json);
  ordered_json images = ordered_json::array();
  for (const auto& im : d.images)
    images.push_back({{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
  root["images"] = std::move(images);
  ordered_json cats = ordered_json::array();
  for (const auto& c : d.categories) {
    ordered_json j{{"id", c.id}, {"name", c.name}, {"supercategory", c.supercategory}};
    if (!c.keypoints.empty()) j["keypoints"] = c.keypoints;
    if (!c.skeleton.empty()) j["skeleton"] = c.skeleton;
    cats.push_back(std::move(j));
  }
  root["categories"] = std::move(cats);
  ordered_json anns = ordered_json::array();
  for (const auto& a : d.annotations) {
    ordered_json j{{"id", a.id},
                   {"image_id", a.image_id},
                   {"category_id", a.category_id},
                   {"bbox", detail::box_json(a.bbox)},
                   {"area", a.area},
                   {"iscrowd", a.iscrowd ? 1 : 0}};
    if (a.segmentation.kind != Segmentation::Kind::None) j["segmentation"] = detail::segmentation_json(a.segmentation);
    if (!a.keypoints.empty()) {
      j["keypoints"] = a.keypoints;
      j["num_keypoints"] = a.num_keypoints;
    }
    anns.push_back(std::move(j));
  }
  root["annotations"] = std::move(anns);
  return root.dump();
}

void write_dataset(const Dataset& dataset, const std::string& path) { write_file_atomic(path, dump_dataset(dataset)); }

std::vector<Annotation> read_results(const std::string& path, const Dataset& gt) {
  return parse_results(read_file(path), gt, path);
}

std::vector<Annotation> parse_results(const std::string& json_text, const Dataset& gt, const std::string& source) {
  const json root = detail::parse_json(json_text, source);
  BEYOND_CHECK(root.is_array(), source, ": a COCO results file must be a JSON list of detections, got ",
               root.type_name());
  std::vector<Annotation> out;
  if (root.empty()) {
    log::warn(str(source, ": no detections"));
    return out;
  }
  using detail::ResultKind;
  const json& first = root[0];
  BEYOND_CHECK(first.is_object(), source, ", result 0: a detection must be an object, got ", first.type_name());
  ResultKind kind;
  if (const json* b = detail::find(first, "bbox"); b && !(b->is_array() && b->empty())) {
    kind = ResultKind::Bbox;
  } else if (detail::find(first, "segmentation")) {
    kind = ResultKind::Segm;
  } else if (detail::find(first, "keypoints")) {
    kind = ResultKind::Keypoints;
  } else {
    throw Error(str(source, ", result 0: has none of `bbox`, `segmentation`, `keypoints`"));
  }
  out.reserve(root.size());
  detail::Repairs repairs(source);
  for (size_t i = 0; i < root.size(); ++i) {
    const json& j = root[i];
    const detail::Where where{source, "result", static_cast<int64_t>(i)};
    BEYOND_CHECK(j.is_object(), where, ": a detection must be an object, got ", j.type_name());
    Annotation a;
    a.id = static_cast<int64_t>(i) + 1;
    a.image_id = detail::as_int(detail::require(j, "image_id", where), where, "image_id");
    a.category_id = detail::as_int(detail::require(j, "category_id", where), where, "category_id");
    a.score = detail::as_number(detail::require(j, "score", where), where, "score");
    const int64_t ii = gt.image_index(a.image_id);
    BEYOND_CHECK(ii >= 0, where, ": image_id ", a.image_id, " is not in the ground truth (results must be for ",
                 "the ground truth's images)");
    if (gt.category_index(a.category_id) < 0)
      repairs.note("detections have a category_id absent from the ground truth; kept (the evaluator ignores them)",
                   where);
    const Image& image = gt.images[static_cast<size_t>(ii)];
    if (const json* s = detail::find(j, "segmentation"); s && !s->is_null())
      a.segmentation = detail::parse_segmentation(*s, image, where);
    if (const json* k = detail::find(j, "keypoints")) {
      a.keypoints = detail::parse_keypoints(*k, where);
      if (const json* n = detail::find(j, "num_keypoints")) a.num_keypoints = detail::as_int(*n, where, "num_keypoints");
    }
    switch (kind) {
      case ResultKind::Bbox:
        a.bbox = detail::parse_box(detail::require(j, "bbox", where), where);
        a.area = a.bbox[2] * a.bbox[3];
        break;
      case ResultKind::Segm: {
        BEYOND_CHECK(a.segmentation.kind != Segmentation::Kind::None, where,
                     ": missing `segmentation` (the file's first detection has one, so all must)");
        const mask::Rle rle = to_rle(a, image.height, image.width);
        a.area = static_cast<double>(mask::area(rle));
        if (const json* b = detail::find(j, "bbox")) {
          a.bbox = detail::parse_box(*b, where);
        } else {
          a.bbox = mask::to_box(rle);
        }
        break;
      }
      case ResultKind::Keypoints: {
        BEYOND_CHECK(!a.keypoints.empty(), where,
                     ": missing `keypoints` (the file's first detection has them, so all must)");
        a.bbox = keypoints_extent(a.keypoints);
        a.area = a.bbox[2] * a.bbox[3];
        break;
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

mask::Box keypoints_extent(const std::vector<double>& keypoints) {
  BEYOND_CHECK(keypoints.size() >= 3, "keypoints_extent: no keypoints");
  double x0 = keypoints[0], x1 = x0, y0 = keypoints[1], y1 = y0;
  for (size_t p = 0; p + 2 < keypoints.size(); p += 3) {
    x0 = std::min(x0, keypoints[p]);
    x1 = std::max(x1, keypoints[p]);
    y0 = std::min(y0, keypoints[p + 1]);
    y1 = std::max(y1, keypoints[p + 1]);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

std::string dump_results(const std::vector<Annotation>& detections) {
  ordered_json root = ordered_json::array();
  for (const auto& a : detections) {
    ordered_json j{{"image_id", a.image_id}, {"category_id", a.category_id}, {"bbox", detail::box_json(a.bbox)},
                   {"score", a.score}};
    if (a.segmentation.kind != Segmentation::Kind::None) {
      Segmentation s = a.segmentation;
      if (s.kind == Segmentation::Kind::Rle) s.kind = Segmentation::Kind::CompressedRle;
      j["segmentation"] = detail::segmentation_json(s);
    }
    if (!a.keypoints.empty()) j["keypoints"] = a.keypoints;
    root.push_back(std::move(j));
  }
  return root.dump();
}

void write_results(const std::vector<Annotation>& detections, const std::string& path) {
  write_file_atomic(path, dump_results(detections));
}

mask::Rle to_rle(const Annotation& a, int64_t height, int64_t width) {
  switch (a.segmentation.kind) {
    case Segmentation::Kind::Polygons: return mask::from_polygons(a.segmentation.polygons, height, width);
    case Segmentation::Kind::Rle:
    case Segmentation::Kind::CompressedRle: return a.segmentation.rle;
    case Segmentation::Kind::None: break;
  }
  return mask::from_box(a.bbox, height, width);
}

}  // namespace beyond::coco
