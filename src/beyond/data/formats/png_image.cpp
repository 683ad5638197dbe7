#include "beyond/data/formats/png_image.h"

#include <cerrno>
#include <csetjmp>
#include <cstring>

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

}  // namespace beyond::png_image
