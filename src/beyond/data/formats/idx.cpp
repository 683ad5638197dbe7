#include "beyond/data/formats/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include <torch/torch.h>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond::data {
namespace detail {
namespace {

constexpr const char* kDamagedFix = "(the file is damaged or incomplete; obtain a fresh copy)";

struct IdxType {
  uint8_t code;
  torch::ScalarType dtype;
  int64_t element_size;
  const char* name;
};

constexpr IdxType kIdxTypes[] = {
    {0x08, torch::kUInt8, 1, "uint8"},   {0x09, torch::kInt8, 1, "int8"},
    {0x0B, torch::kInt16, 2, "int16"},   {0x0C, torch::kInt32, 4, "int32"},
    {0x0D, torch::kFloat32, 4, "float32"}, {0x0E, torch::kFloat64, 8, "float64"},
};

const IdxType* type_from_code(uint8_t code) {
  for (const auto& t : kIdxTypes)
    if (t.code == code) return &t;
  return nullptr;
}

const IdxType* type_from_dtype(torch::ScalarType dtype) {
  for (const auto& t : kIdxTypes)
    if (t.dtype == dtype) return &t;
  return nullptr;
}

bool host_is_little_endian() {
  const uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

/// Reverses the bytes of each `element_size`-byte element in place (big-endian <-> host).
void swap_elements(char* data, int64_t count, int64_t element_size) {
  if (element_size == 1 || !host_is_little_endian()) return;
  for (int64_t i = 0; i < count; ++i) std::reverse(data + i * element_size, data + (i + 1) * element_size);
}

std::string hex_byte(unsigned char b) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// A gzFile that tracks how many decompressed bytes were consumed, closed on scope exit.
/// zlib reads plain (non-gzip) files transparently, so one reader serves both.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    file_ = gzopen(path.c_str(), "rb");
    BEYOND_CHECK(file_ != nullptr, path, ": cannot open for reading (", std::strerror(errno),
                 "; check the path and its permissions)");
    gzbuffer(file_, 1 << 18);
  }
  ~GzReader() {
    if (file_ != nullptr) gzclose_r(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  /// Reads up to `n` bytes; returns how many were read (fewer only at end of stream).
  /// Throws beyond::Error if the gzip data itself is corrupt.
  int64_t read(char* dst, int64_t n) {
    int64_t total = 0;
    while (total < n) {
      const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - total, 1 << 30));
      const int got = gzread(file_, dst + total, chunk);
      if (got < 0) throw_zlib_error();
      total += got;
      offset_ += got;
      if (got < static_cast<int>(chunk)) {
        // Short read: a clean end of stream, or a gzip stream cut short (reported by the caller).
        int errnum = Z_OK;
        gzerror(file_, &errnum);
        if (errnum != Z_OK && errnum != Z_BUF_ERROR) throw_zlib_error();
        stream_cut_ = errnum == Z_BUF_ERROR;
        break;
      }
    }
    return total;
  }

  int64_t offset() const { return offset_; }
  bool is_gzip() const { return gzdirect(file_) == 0; }
  bool stream_cut() const { return stream_cut_; }

 private:
  [[noreturn]] void throw_zlib_error() {
    int errnum = Z_OK;
    const char* message = gzerror(file_, &errnum);
    throw Error(::beyond::str(path_, ": bad gzip data near byte ", offset_, " of the decompressed stream (zlib: ",
                    message ? message : "unknown error", ") ", kDamagedFix));
  }

  std::string path_;
  gzFile file_ = nullptr;
  int64_t offset_ = 0;
  bool stream_cut_ = false;
};

/// Reads exactly `n` bytes or throws the "truncated" error naming the offset and the expected total.
void read_exactly(GzReader& in, const std::string& path, char* dst, int64_t n, int64_t expected_total,
                  const char* what) {
  const int64_t got = in.read(dst, n);
  if (got == n) return;
  throw Error(::beyond::str(path, ": truncated at byte ", in.offset(), " of ", expected_total, " expected while reading the ",
                  what, in.stream_cut() ? " (the gzip stream ends early) " : " ", kDamagedFix));
}

}  // namespace
}  // namespace detail

torch::Tensor read_idx(const std::string& path) {
  using namespace detail;
  std::error_code ec;
  BEYOND_CHECK(std::filesystem::is_regular_file(path, ec), path,
               ": no such IDX file (check the path; MNIST-style files are named like train-images-idx3-ubyte.gz)");

  GzReader in(path);
  unsigned char magic[4] = {0, 0, 0, 0};
  const int64_t got = in.read(reinterpret_cast<char*>(magic), 4);
  if (got < 4) {
    throw Error(::beyond::str(path, ": truncated at byte ", got, " of 4 expected while reading the IDX magic number ",
                    kDamagedFix));
  }
  const IdxType* type = type_from_code(magic[2]);
  if (magic[0] != 0 || magic[1] != 0 || type == nullptr) {
    throw Error(::beyond::str(path, ": bad magic ", hex_byte(magic[0]), " ", hex_byte(magic[1]), " ", hex_byte(magic[2]), " ",
                    hex_byte(magic[3]), " at byte 0", in.is_gzip() ? " of the decompressed stream" : "",
                    "; expected 0x00 0x00 <type> <ndim> with type one of 0x08 (uint8), 0x09 (int8), 0x0b (int16), "
                    "0x0c (int32), 0x0d (float32), 0x0e (float64)",
                    in.is_gzip() ? "" : " (the file is not gzip-compressed either)",
                    " -- this is not an IDX file or it is damaged"));
  }
  const int64_t ndim = magic[3];
  const int64_t header_bytes = 4 + 4 * ndim;

  std::vector<unsigned char> dim_bytes(static_cast<size_t>(4 * ndim));
  read_exactly(in, path, reinterpret_cast<char*>(dim_bytes.data()), 4 * ndim, header_bytes, "dimension sizes");
  std::vector<int64_t> sizes(static_cast<size_t>(ndim));
  int64_t count = 1;
  for (int64_t d = 0; d < ndim; ++d) {
    const unsigned char* b = dim_bytes.data() + 4 * d;
    sizes[d] = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    if (sizes[d] != 0 && count > std::numeric_limits<int64_t>::max() / 8 / sizes[d]) {
      throw Error(::beyond::str(path, ": dimension sizes at bytes 4..", header_bytes, " describe more than 2^60 elements ",
                      kDamagedFix));
    }
    count *= sizes[d];
  }
  const int64_t data_bytes = count * type->element_size;
  const int64_t total_bytes = header_bytes + data_bytes;

  // Read in growing chunks so that a damaged header claiming a huge size fails at the end of the data,
  // not with an enormous allocation.
  std::vector<char> data;
  data.reserve(static_cast<size_t>(std::min<int64_t>(data_bytes, int64_t{1} << 28)));
  constexpr int64_t kChunk = int64_t{1} << 24;
  while (static_cast<int64_t>(data.size()) < data_bytes) {
    const int64_t start = static_cast<int64_t>(data.size());
    const int64_t n = std::min(kChunk, data_bytes - start);
    data.resize(static_cast<size_t>(start + n));
    read_exactly(in, path, data.data() + start, n, total_bytes, "data");
  }
  char extra = 0;
  if (in.read(&extra, 1) != 0) {
    throw Error(::beyond::str(path, ": unexpected data after byte ", total_bytes, "; the header (", type->name, ", shape ",
                    torch::IntArrayRef(sizes), ") says the file ends there ", kDamagedFix));
  }

  swap_elements(data.data(), count, type->element_size);
  torch::Tensor out = torch::empty(sizes, torch::TensorOptions().dtype(type->dtype));
  if (data_bytes > 0) std::memcpy(out.data_ptr(), data.data(), static_cast<size_t>(data_bytes));
  return out;
}

void write_idx(const std::string& path, const torch::Tensor& tensor) {
  using namespace detail;
  BEYOND_CHECK(tensor.defined(), "write_idx(", path, "): the tensor is undefined");
  const IdxType* type = type_from_dtype(tensor.scalar_type());
  BEYOND_CHECK(type != nullptr, "write_idx(", path, "): dtype ", tensor.scalar_type(),
               " has no IDX code; convert to uint8, int8, int16, int32, float32 or float64 first");
  BEYOND_CHECK(tensor.dim() <= 255, "write_idx(", path, "): IDX holds at most 255 dimensions, got shape ",
               tensor.sizes());
  for (int64_t s : tensor.sizes()) {
    BEYOND_CHECK(s <= int64_t{0xFFFFFFFF}, "write_idx(", path, "): size ", s, " in shape ", tensor.sizes(),
                 " does not fit IDX's 32-bit sizes");
  }

  const torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  std::string bytes;
  const int64_t data_bytes = t.numel() * type->element_size;
  bytes.reserve(static_cast<size_t>(4 + 4 * t.dim() + data_bytes));
  bytes.push_back(0);
  bytes.push_back(0);
  bytes.push_back(static_cast<char>(type->code));
  bytes.push_back(static_cast<char>(t.dim()));
  for (int64_t s : t.sizes()) {
    const auto u = static_cast<uint32_t>(s);
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((u >> shift) & 0xFF));
  }
  const size_t data_start = bytes.size();
  bytes.resize(data_start + static_cast<size_t>(data_bytes));
  if (data_bytes > 0) std::memcpy(&bytes[data_start], t.data_ptr(), static_cast<size_t>(data_bytes));
  swap_elements(&bytes[data_start], t.numel(), type->element_size);

  if (!ends_with(path, ".gz")) {
    write_file_atomic(path, bytes);
    return;
  }
  write_atomic_with(path, [&](const std::string& tmp) {
    gzFile f = gzopen(tmp.c_str(), "wb6");
    BEYOND_CHECK(f != nullptr, tmp, ": cannot open for writing (", std::strerror(errno), ")");
    size_t done = 0;
    bool ok = true;
    while (done < bytes.size() && ok) {
      const auto chunk = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, size_t{1} << 30));
      ok = gzwrite(f, bytes.data() + done, chunk) == static_cast<int>(chunk);
      done += chunk;
    }
    const bool closed = gzclose_w(f) == Z_OK;
    BEYOND_CHECK(ok && closed, tmp, ": gzip write failed (disk full or not writable?)");
  });
}

}  // namespace beyond::data
