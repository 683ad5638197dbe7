#pragma once
/// Reading a PNG photograph as interleaved RGB8 (and writing greyscale masks), without LibTorch or OpenCV (for the torch-free
/// front-end, e.g. `beyond crf`).
///
///   beyond::png_image::RgbImage im = beyond::png_image::read_rgb8("photo.png");
///   const uint8_t* pixel = im.rgb.data() + (y * im.width + x) * 3;
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::png_image {

struct RgbImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;  // [height, width, 3], row-major
  /// Channels in the file before conversion: 1 grey, 2 grey + alpha, 3 RGB (or palette), 4 RGBA.
  int source_channels = 3;
};

/// Reads any PNG as RGB8: grey is replicated to R = G = B, alpha is dropped, palettes are expanded
/// and 16-bit samples reduced to 8 bits. A missing, non-PNG or damaged file is a beyond::Error
/// naming it.
RgbImage read_rgb8(const std::string& path);

/// Writes `grey` ([height, width], row-major) as an 8-bit greyscale PNG, atomically (e.g. a 0/255 mask).
void write_grey8(const std::string& path, const std::vector<uint8_t>& grey, int64_t width, int64_t height);

}  // namespace beyond::png_image
