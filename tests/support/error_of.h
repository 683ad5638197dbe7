#pragma once
// test::error_of without LibTorch, for the torch-free tests (tests/crf, also built under ASan/UBSan
// by scripts/asan_crf.sh). helpers.h includes it.
#include <string>

#include "beyond/core/error.h"

namespace beyond::test {

/// The message of the beyond::Error that `fn` throws, or "" if it throws none.
template <typename F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const beyond::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace beyond::test
