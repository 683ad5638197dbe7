#include "beyond/data/formats/png_image.h"

#include <cerrno>
#include <csetjmp>
#include <cstring>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/data/formats/png_io.h"

namespace beyond::png_image {
namespace {

using namespace beyond::png_io;

/// Reads the header and asks libpng for 8-bit RGB whatever the file holds; false (r.error says why)
/// on failure.
bool read_header_as_rgb8(PngIo& r, png_uint_32& width, png_uint_32& height, int& channels) {
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, png_error_to_buffer, png_ignore_warning);
  if (!r.png) return false;
  r.info = png_create_info_struct(r.png);
  if (!r.info) return false;
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_init_io(r.png, r.file);
  png_read_info(r.png, r.info);
  width = png_get_image_width(r.png, r.info);
  height = png_get_image_height(r.png, r.info);
  const int color_type = png_get_color_type(r.png, r.info);
  channels = png_get_channels(r.png, r.info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(r.png);
    channels = 3;
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r.png);
  if (png_get_bit_depth(r.png, r.info) < 8) png_set_expand(r.png);
  png_set_strip_16(r.png);
  png_set_strip_alpha(r.png);
  png_read_update_info(r.png, r.info);
  return png_get_channels(r.png, r.info) == 3 && png_get_bit_depth(r.png, r.info) == 8;
}

bool read_rows(PngIo& r, png_bytep* rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, nullptr);
  return true;
}

bool write_rows(PngIo& w, const uint8_t* pixels, png_uint_32 width, png_uint_32 height, const png_color* colours,
                png_bytep* rows) {
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, png_error_to_buffer, png_ignore_warning);
  if (!w.png) return false;
  w.info = png_create_info_struct(w.png);
  if (!w.info) return false;
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_init_io(w.png, w.file);
  png_set_IHDR(w.png, w.info, width, height, 8, colours ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (colours) png_set_PLTE(w.png, w.info, colours, 256);
  png_write_info(w.png, w.info);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = const_cast<png_bytep>(pixels + static_cast<size_t>(y) * width);
  png_write_image(w.png, rows);
  png_write_end(w.png, nullptr);
  return true;
}

}  // namespace

RgbImage read_rgb8(const std::string& path) {
  PngIo r;
  r.file = std::fopen(path.c_str(), "rb");
  BEYOND_CHECK(r.file, "cannot open ", path, ": ", std::strerror(errno));
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  RgbImage image;
  std::string error;
  if (!read_header_as_rgb8(r, width, height, channels)) {
    error = str(path, ": not a readable PNG image (", r.error[0] ? r.error : "could not convert it to 8-bit RGB", ")");
  } else {
    image.height = height;
    image.width = width;
    image.source_channels = channels;
    image.rgb.resize(static_cast<size_t>(width) * height * 3);
    std::vector<png_bytep> rows(height);
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.rgb.data() + static_cast<size_t>(y) * width * 3;
    if (!read_rows(r, rows.data())) error = str(path, ": damaged PNG (", r.error, ")");
  }
  png_destroy_read_struct(&r.png, &r.info, nullptr);
  std::fclose(r.file);
  if (!error.empty()) throw Error(error);
  return image;
}

void write_grey8(const std::string& path, const std::vector<uint8_t>& grey, int64_t width, int64_t height) {
  BEYOND_CHECK(width >= 1 && height >= 1 && grey.size() == static_cast<size_t>(width * height), "write_grey8(", path,
               "): ", grey.size(), " pixels for a ", width, "x", height, " image (PNG needs at least 1x1)");
  png_io::write_png8(path, grey.data(), width, height, nullptr);
}

}  // namespace beyond::png_image

namespace beyond::png_io {

void write_png8(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height, const png_color* colours) {
  write_atomic_with(path, [&](const std::string& tmp) {
    PngIo w;
    w.file = std::fopen(tmp.c_str(), "wb");
    BEYOND_CHECK(w.file, "cannot write ", tmp, ": ", std::strerror(errno));
    std::vector<png_bytep> rows(static_cast<size_t>(height));
    const bool ok = png_image::write_rows(w, pixels, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), colours,
                               rows.data());
    png_destroy_write_struct(&w.png, &w.info);
    const bool closed = std::fclose(w.file) == 0;
    BEYOND_CHECK(ok && closed, "cannot write ", path, ": ", w.error[0] ? w.error : "I/O error");
  });
}

}  // namespace beyond::png_io
