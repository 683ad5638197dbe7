// libFuzzer target: COCO's compressed RLE string. The first two bytes choose the mask size; the rest
// is the counts string. A string that parses must decode, re-encode and re-stringify consistently.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "beyond/core/error.h"
#include "beyond/data/mask/rle.h"

namespace {
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_rle: invariant failed: %s\n", what);
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mask = beyond::mask;
  if (size < 2) return 0;
  const int64_t h = data[0] % 64, w = data[1] % 64 + (data[0] >= 128 ? 64 : 0);
  const std::string s(reinterpret_cast<const char*>(data + 2), size - 2);
  mask::Rle rle;
  try {
    rle = mask::from_string(s, h, w, "fuzz");
  } catch (const beyond::Error&) {
    return 0;
  }
  // The string codec is exact on any counts, canonical or not.
  check(mask::from_string(mask::to_string(rle), h, w, "fuzz") == rle, "string round trip");
  const auto pixels = mask::decode(rle);
  check(pixels.size() == static_cast<size_t>(h * w), "decoded size");
  const mask::Rle canon = mask::encode(pixels.data(), h, w);
  check(mask::decode(canon) == pixels, "encode(decode)");
  check(mask::area(canon) == mask::area(rle), "area");
  uint64_t ones = 0;
  for (uint8_t p : pixels) ones += p;
  check(ones == mask::area(rle), "area vs pixels");
  check(mask::merge({rle, canon}) == canon, "union with itself");
  check(mask::merge({rle, canon}, true) == canon, "intersection with itself");
  const auto o = mask::iou({rle}, {canon}, {0});
  check(o[0] == (ones ? 1.0 : 0.0), "iou with itself");
  const mask::Box b = mask::to_box(canon);
  check(ones == 0 || (b[2] >= 1 && b[3] >= 1 && b[0] + b[2] <= w && b[1] + b[3] <= h), "box inside the mask");
  return 0;
}
