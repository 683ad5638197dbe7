#pragma once
/// NumPy's .npy files of float32 arrays, so Python pipelines can hand arrays to beyond and back
/// (`np.save("u.npy", u.astype(np.float32))`, `np.load("q.npy")`). Plain C++ (no LibTorch).
///
///   auto u = beyond::npy::read_float32("u.npy", 3, "[L, H, W] (labels, height, width)");
///   beyond::npy::write_float32("q.npy", {21, 213, 320}, q.data());
///
/// Reads format versions 1.0, 2.0 and 3.0; accepts only little-endian ('<f4', or '=f4' here)
/// float32 in C order. Anything else is a beyond::Error naming the file, what it holds and what was
/// expected, with the NumPy call that fixes it.
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::npy {

struct Float32Array {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

/// Reads `path`, which must hold float32 of rank `rank` (-1: any); `expected` describes the array
/// the caller wants (e.g. "[L, H, W] (labels, height, width)") and appears in every error message.
Float32Array read_float32(const std::string& path, int rank = -1, const std::string& expected = "");
/// The same from the file's bytes; `source` names it in messages.
Float32Array parse_float32(const std::string& bytes, const std::string& source, int rank = -1,
                           const std::string& expected = "");

/// The bytes of a version 1.0 .npy file holding `data` (C order, little-endian float32) of `shape`.
std::string to_bytes(const std::vector<int64_t>& shape, const float* data);
/// Writes `data` of `shape` to `path` atomically.
void write_float32(const std::string& path, const std::vector<int64_t>& shape, const float* data);

/// "[21, 213, 320]"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace beyond::npy
