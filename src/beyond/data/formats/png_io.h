#pragma once
// Internal to data/formats: what the PNG readers and writers share around libpng's classic
// interface. libpng errors longjmp back to a setjmp in plain functions that own no C++ objects, so
// no destructor is skipped; the message is kept in the PngIo.
#include <png.h>

#include <cstdio>

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

}  // namespace beyond::png_io
