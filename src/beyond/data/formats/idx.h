#pragma once
/// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (0x00 0x00 type ndim), `ndim`
/// big-endian uint32 sizes, then the elements in big-endian row-major order. Files ending in `.gz`
/// (or starting with the gzip magic) are decompressed on the fly.
///
///   torch::Tensor images = beyond::data::read_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
///   // images: uint8 [60000, 28, 28]
///   beyond::data::write_idx("/tmp/x-idx1-ubyte.gz", torch::arange(10, torch::kUInt8));
#include <string>

#include <torch/types.h>

namespace beyond::data {

/// Reads an IDX file (plain or gzip) into a CPU tensor of the file's dtype and shape:
/// 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
/// Throws beyond::Error naming the file and, for damaged data, the byte offset in the decompressed
/// stream where reading failed and what was expected there.
torch::Tensor read_idx(const std::string& path);

/// Writes `tensor` (uint8, int8, int16, int32, float32 or float64; at most 255 dimensions) as IDX,
/// gzip-compressed when `path` ends in `.gz`. The write is atomic.
void write_idx(const std::string& path, const torch::Tensor& tensor);

}  // namespace beyond::data
