#pragma once
/// Tiny helpers for the evaluators' JSON output (a few numbers and names; no JSON library needed in
/// their headers): a string escaped for a JSON string literal, and a double as a JSON number with
/// full precision (null for NaN / infinity, which JSON cannot represent).
#include <cmath>
#include <cstdio>
#include <string>

namespace beyond::eval {

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace beyond::eval
