#include "beyond/data/text/utf8.h"

#include <cstdio>

#include "beyond/core/error.h"

namespace beyond::data {
namespace {

/// Decodes the sequence at bytes[i]; returns its length and sets `cp`, or returns 0 if invalid.
size_t decode_one(const std::string& bytes, size_t i, int32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
  const size_t left = bytes.size() - i;
  const uint8_t lead = b(0);
  size_t len;
  int32_t min;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = lead & 0x07;
  } else {
    return 0;  // a continuation byte or 0xF8..0xFF where a sequence should start
  }
  if (left < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::vector<int32_t> decode_utf8(const std::string& bytes, const std::string& source) {
  std::vector<int32_t> out;
  out.reserve(bytes.size());
  int32_t cp = 0;
  for (size_t i = 0; i < bytes.size();) {
    const size_t len = decode_one(bytes, i, cp);
    if (len == 0) {
      std::string shown;
      for (size_t k = i; k < std::min(bytes.size(), i + 4); ++k) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "%s0x%02X", k == i ? "" : " ", static_cast<uint8_t>(bytes[k]));
        shown += hex;
      }
      throw Error(str(source, " is not valid UTF-8: invalid byte sequence at byte offset ", i, " (bytes ", shown,
                      "). Convert the file (e.g. `iconv -f LATIN1 -t UTF-8`), or train on bytes with "
                      "--vocab bytes (data.vocab: bytes), which accepts any file"));
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void append_utf8(int32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace beyond::data
