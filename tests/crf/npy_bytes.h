#pragma once
// Hand-made .npy files of any dtype, order and version, for the reader's error cases.
#include <string>

namespace beyond::test {

/// A .npy file: header {descr, fortran_order, shape} (version 1 or 2) followed by `data_bytes` of `data`.
inline std::string npy_bytes(const std::string& descr, bool fortran, const std::string& shape, const void* data,
                             size_t data_bytes, int version = 1) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  const size_t prefix = version == 1 ? 10 : 12;
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(version);
  bytes += '\0';
  const size_t n = dict.size();
  bytes += static_cast<char>(n & 0xff);
  bytes += static_cast<char>((n >> 8) & 0xff);
  if (version != 1) bytes += std::string(2, '\0');
  bytes += dict;
  bytes.append(static_cast<const char*>(data), data_bytes);
  return bytes;
}

}  // namespace beyond::test
