#pragma once
// Internal to data/formats: what the PNG readers and writers share around libpng's classic
// interface. libpng errors longjmp back to a setjmp in plain functions that own no C++ objects, so
// no destructor is skipped; the message is kept in the PngIo.
#include <png.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace beyond::png_io {

/// One PNG being read or written: the file, libpng's structs, and the message of a libpng error.
struct PngIo {
  FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  char error[200] = {0};
};

inline void png_error_to_buffer(png_structp png, png_const_charp message) {
  auto* io = static_cast<PngIo*>(png_get_error_ptr(png));
  std::snprintf(io->error, sizeof(io->error), "%s", message);
  png_longjmp(png, 1);
}

inline void png_ignore_warning(png_structp, png_const_charp) {}

/// Writes an 8-bit image atomically: a palette PNG with the 256 `colours`, or greyscale when
/// `colours` is null. beyond::Error naming `path` on failure. (Defined in png_image.cpp.)
void write_png8(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height, const png_color* colours);

}  // namespace beyond::png_io
