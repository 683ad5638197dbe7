#pragma once
/// The King James Bible corpus, extracted once from Debian's `bible-kjv` packages into a data cache.
/// The text is what `bible -p /usr/lib gen1:1-rev22:21` prints (4,298,239 bytes of ASCII: book and
/// chapter headings, numbered verses wrapped at 80 columns), taken as it is: running the package's
/// own program is simpler and safer than decoding its compressed `bible.data` format ourselves.
///
/// Layout of the cache folder:
///   kjv.txt                          the whole text
///   train.txt, val.txt, test.txt     the positional split of text_corpus.h (last 5% test, the 5%
///                                    before it validation), at code point boundaries
///   kjv.json                         the command, sizes and split fractions
/// Idempotent: a folder whose kjv.json and files match is left as it is.
#include <cstdint>
#include <string>

namespace beyond::data {

struct KjvOptions {
  std::string bible = "bible";          ///< the program (from package bible-kjv)
  std::string data_dir = "/usr/lib";    ///< where bible.data lives (package bible-kjv-text)
  double val_fraction = 0.05, test_fraction = 0.05;
};

struct KjvSummary {
  int64_t bytes = 0, train = 0, val = 0, test = 0;  ///< sizes in characters
  bool reused = false;                              ///< the cache was already complete
};

/// Extracts the corpus into `out_dir` (created if needed). Errors say which package to install.
KjvSummary extract_kjv(const std::string& out_dir, const KjvOptions& options = {});

}  // namespace beyond::data
