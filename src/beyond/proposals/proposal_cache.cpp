#include "beyond/proposals/proposal_cache.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"

namespace beyond::proposals {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMagic = "beyond-proposals v1";

/// Absolute path, byte size, modification time and options: what the proposals depend on.
std::string cache_key(const std::string& image_path, const SelectiveSearchOptions& options) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(image_path, ec);
  const auto size = fs::file_size(image_path, ec);
  BEYOND_CHECK(!ec, "proposals: cannot read image '", image_path, "': ", ec.message());
  const auto mtime = fs::last_write_time(image_path, ec).time_since_epoch().count();
  return str(absolute.lexically_normal().string(), '|', size, '|', mtime, '|', options.key());
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// Header lines (magic, key, count), then count x 4 int32 in host byte order.
std::string encode(const std::string& key, const std::vector<Box>& boxes) {
  std::string out = str(kMagic, '\n', key, '\n', boxes.size(), '\n');
  const size_t header = out.size();
  out.resize(header + boxes.size() * 4 * sizeof(int32_t));
  char* p = &out[header];
  for (const Box& b : boxes) {
    const int32_t v[4] = {b.x1, b.y1, b.x2, b.y2};
    std::memcpy(p, v, sizeof(v));
    p += sizeof(v);
  }
  return out;
}

/// False (and no boxes) when the bytes are not a cache file for `key`.
bool decode(const std::string& bytes, const std::string& key, std::vector<Box>& boxes) {
  const std::string prefix = str(kMagic, '\n', key, '\n');
  if (bytes.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t eol = bytes.find('\n', prefix.size());
  if (eol == std::string::npos) return false;
  unsigned long long count = 0;
  if (std::sscanf(bytes.c_str() + prefix.size(), "%llu", &count) != 1) return false;
  if (bytes.size() - eol - 1 != count * 4 * sizeof(int32_t)) return false;
  boxes.resize(count);
  const char* p = bytes.data() + eol + 1;
  for (Box& b : boxes) {
    int32_t v[4];
    std::memcpy(v, p, sizeof(v));
    p += sizeof(v);
    b = {v[0], v[1], v[2], v[3]};
  }
  return true;
}

}  // namespace

std::string proposal_cache_path(const std::string& image_path, const SelectiveSearchOptions& options,
                                const std::string& cache_dir) {
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx.boxes", static_cast<unsigned long long>(fnv1a(cache_key(image_path, options))));
  return (fs::path(cache_dir) / name).string();
}

std::vector<Box> cached_selective_search(const std::string& image_path, const SelectiveSearchOptions& options,
                                         const std::string& cache_dir) {
  const std::string key = cache_key(image_path, options);
  const std::string path = proposal_cache_path(image_path, options, cache_dir);
  std::vector<Box> boxes;
  if (fs::exists(path)) {
    if (decode(read_file(path), key, boxes)) return boxes;
    log::warn(str("proposals: cache file '", path, "' is not a valid cache file for '", image_path,
                  "'; recomputing it"));
  }
  const cv::Mat bgr = cv::imread(image_path, cv::IMREAD_COLOR);
  BEYOND_CHECK(!bgr.empty(), "proposals: cannot decode image '", image_path, "' (not an image file, or corrupt)");
  boxes = selective_search(bgr, options);
  ensure_writable_dir(cache_dir);
  write_file_atomic(path, encode(key, boxes));
  return boxes;
}

}  // namespace beyond::proposals
