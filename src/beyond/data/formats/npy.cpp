#include "beyond/data/formats/npy.h"

#include <cstring>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

std::string wanted(const std::string& expected) {
  return expected.empty() ? std::string("float32") : str("float32 ", expected);
}

/// The value text after 'key': in the header dict (up to the next top-level comma or brace).
std::string dict_value(const std::string& header, const std::string& key, const std::string& source) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) at = header.find("\"" + key + "\"");
  BEYOND_CHECK(at != std::string::npos, source, ": the .npy header has no '", key, "' (header: ", header, ")");
  size_t colon = header.find(':', at + key.size() + 2);
  BEYOND_CHECK(colon != std::string::npos, source, ": malformed .npy header: ", header);
  size_t begin = colon + 1;
  while (begin < header.size() && header[begin] == ' ') ++begin;
  size_t end = begin;
  int depth = 0;
  while (end < header.size()) {
    const char c = header[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    ++end;
  }
  std::string value = header.substr(begin, end - begin);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

std::string describe_dtype(const std::string& descr) {
  if (descr.size() < 2) return descr;
  const std::string kind = descr.substr(1);
  if (kind == "f8") return "float64";
  if (kind == "f2") return "float16";
  if (kind == "f4") return "float32";
  if (kind[0] == 'i') return "int" + std::to_string(8 * std::atoi(kind.c_str() + 1));
  if (kind[0] == 'u') return "uint" + std::to_string(8 * std::atoi(kind.c_str() + 1));
  if (kind == "b1") return "bool";
  return descr;
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& source) {
  BEYOND_CHECK(text.size() >= 2 && text.front() == '(' && text.back() == ')', source,
               ": malformed shape in the .npy header: ", text);
  std::vector<int64_t> shape;
  size_t i = 1;
  while (i + 1 < text.size()) {
    while (i + 1 < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i + 1 >= text.size()) break;
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(text.substr(i), &used);
    } catch (const std::exception&) {
      throw Error(str(source, ": malformed shape in the .npy header: ", text));
    }
    BEYOND_CHECK(v >= 0 && used > 0, source, ": malformed shape in the .npy header: ", text);
    shape.push_back(v);
    i += used;
    while (i + 1 < text.size() && (text[i] == 'L' || text[i] == ' ')) ++i;
  }
  return shape;
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Float32Array parse_float32(const std::string& bytes, const std::string& source, int rank, const std::string& expected) {
  BEYOND_CHECK(bytes.size() >= 10 && std::memcmp(bytes.data(), kMagic, kMagicSize) == 0, source,
               ": not a NumPy .npy file (no \\x93NUMPY magic); expected ", wanted(expected), " saved with np.save");
  const int major = static_cast<unsigned char>(bytes[6]);
  BEYOND_CHECK(major >= 1 && major <= 3, source, ": .npy format version ", major, ".",
               static_cast<int>(static_cast<unsigned char>(bytes[7])), " is not supported (1.0, 2.0, 3.0 are)");
  size_t header_size = 0, header_begin = 0;
  auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(bytes[i])); };
  if (major == 1) {
    header_size = byte(8) | byte(9) << 8;
    header_begin = 10;
  } else {
    BEYOND_CHECK(bytes.size() >= 12, source, ": truncated .npy header");
    header_size = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    header_begin = 12;
  }
  BEYOND_CHECK(bytes.size() >= header_begin + header_size, source, ": truncated .npy header (", header_size,
               " bytes announced, ", bytes.size() - header_begin, " present)");
  const std::string header = bytes.substr(header_begin, header_size);
  std::string descr = dict_value(header, "descr", source);
  BEYOND_CHECK(descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"'), source,
               ": structured dtype ", descr, " is not supported; expected ", wanted(expected));
  descr = descr.substr(1, descr.size() - 2);
  const std::string fortran = dict_value(header, "fortran_order", source);
  const std::vector<int64_t> shape = parse_shape(dict_value(header, "shape", source), source);
  BEYOND_CHECK(descr.size() >= 3 && descr.substr(1) == "f4", source, ": holds ", describe_dtype(descr), " ('", descr,
               "'), expected ", wanted(expected), " ('<f4'); convert with a.astype(np.float32)");
  BEYOND_CHECK(descr[0] != '>', source, ": holds big-endian float32 ('", descr, "'), expected little-endian ",
               wanted(expected), " ('<f4'); convert with a.astype('<f4')");
  BEYOND_CHECK(descr[0] == '<' || descr[0] == '=' || descr[0] == '|', source, ": unknown byte order in dtype '", descr,
               "'");
  BEYOND_CHECK(fortran == "False", source, ": is in Fortran order, expected C order ", wanted(expected),
               "; save np.ascontiguousarray(a)");
  BEYOND_CHECK(rank < 0 || static_cast<int>(shape.size()) == rank, source, ": has shape ", shape_string(shape),
               " (rank ", shape.size(), "), expected rank ", rank, " ", wanted(expected));
  size_t count = 1;
  for (int64_t s : shape) count *= static_cast<size_t>(s);
  const size_t data_begin = header_begin + header_size;
  BEYOND_CHECK(bytes.size() - data_begin == count * sizeof(float), source, ": shape ", shape_string(shape), " needs ",
               count * sizeof(float), " bytes of data, the file has ", bytes.size() - data_begin,
               " (truncated or damaged)");
  Float32Array a;
  a.shape = shape;
  a.data.resize(count);
  if (count) std::memcpy(a.data.data(), bytes.data() + data_begin, count * sizeof(float));
  return a;
}

Float32Array read_float32(const std::string& path, int rank, const std::string& expected) {
  return parse_float32(read_file(path), path, rank, expected);
}

std::string to_bytes(const std::vector<int64_t>& shape, const float* data) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  size_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    BEYOND_CHECK(shape[i] >= 0, "npy::to_bytes: negative dimension in shape ", shape_string(shape));
    dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
    count *= static_cast<size_t>(shape[i]);
  }
  dict += "), }";
  // Pad with spaces so the data starts at a multiple of 64 bytes; the header ends with '\n'.
  const size_t unpadded = kMagicSize + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  BEYOND_CHECK(dict.size() < 65536, "npy::to_bytes: header too long for shape ", shape_string(shape));
  std::string bytes(kMagic, kMagicSize);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(dict.size() & 0xff);
  bytes += static_cast<char>(dict.size() >> 8);
  bytes += dict;
  bytes.append(reinterpret_cast<const char*>(data), count * sizeof(float));
  return bytes;
}

void write_float32(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  write_file_atomic(path, to_bytes(shape, data));
}

}  // namespace beyond::npy
