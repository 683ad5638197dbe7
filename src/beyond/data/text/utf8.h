#pragma once
/// UTF-8 decoding with strict validation (RFC 3629): overlong forms, surrogates (U+D800..U+DFFF),
/// code points above U+10FFFF and truncated sequences are rejected, and the error names the byte
/// offset of the first invalid sequence, so a user can find it with `xxd -s OFFSET FILE`.
/// No byte is replaced or skipped: a corpus that is not UTF-8 is trained on bytes instead
/// (`data.vocab: bytes`), never silently repaired.
#include <cstdint>
#include <string>
#include <vector>

namespace beyond::data {

/// The code points of `bytes`. Throws beyond::Error naming `source` (a file path) and the byte
/// offset of the first invalid sequence, with the fix (convert with iconv, or use byte vocabulary).
std::vector<int32_t> decode_utf8(const std::string& bytes, const std::string& source);

/// Appends the UTF-8 encoding of `code_point` (a valid scalar value) to `out`.
void append_utf8(int32_t code_point, std::string& out);

}  // namespace beyond::data
