// libFuzzer target: the COCO dataset and results readers. Bad input must end in beyond::Error, never
// in a crash, a hang or a sanitizer report; what reads must write and read back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/data/formats/coco.h"

namespace {

const beyond::coco::Dataset& ground_truth() {
  static const beyond::coco::Dataset gt = beyond::coco::parse_dataset(
      R"({"images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6},
                     {"id": 2, "file_name": "b.png", "width": 3, "height": 40}],
          "categories": [{"id": 1, "name": "a"}, {"id": 3, "name": "b", "keypoints": ["x", "y"]}]})",
      "gt");
  return gt;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_coco: invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = (beyond::log::set_level(beyond::log::Level::Quiet), true);
  (void)quiet;
  const std::string text(reinterpret_cast<const char*>(data), size);
  namespace coco = beyond::coco;
  if (!text.empty() && text[0] == '[') {
    std::vector<coco::Annotation> dets;
    try {
      dets = coco::parse_results(text, ground_truth(), "fuzz");
    } catch (const beyond::Error&) {
      return 0;
    }
    for (const auto& d : dets) {
      const auto& im = ground_truth().images[ground_truth().image_index(d.image_id)];
      const auto rle = coco::to_rle(d, im.height, im.width);
      check(rle.height == im.height && rle.width == im.width, "result mask size");
    }
    // Written results read back (as box results: every written detection has a bbox).
    const std::string out = coco::dump_results(dets);
    const auto back = coco::parse_results(out, ground_truth(), "fuzz-rewrite");
    check(back.size() == dets.size(), "results round trip");
    return 0;
  }
  coco::Dataset d;
  try {
    d = coco::parse_dataset(text, "fuzz");
  } catch (const beyond::Error&) {
    return 0;
  }
  for (const auto& a : d.annotations) {
    const auto& im = d.images[d.image_index(a.image_id)];
    try {
      const auto rle = coco::to_rle(a, im.height, im.width);
      (void)beyond::mask::area(rle);
      (void)beyond::mask::to_box(rle);
    } catch (const beyond::Error&) {
      // A box-only annotation on an image over COCO's mask size limit: reported, not a crash.
    }
  }
  const std::string out = coco::dump_dataset(d);
  const coco::Dataset back = coco::parse_dataset(out, "fuzz-rewrite");
  check(coco::dump_dataset(back) == out, "dataset round trip");
  return 0;
}
