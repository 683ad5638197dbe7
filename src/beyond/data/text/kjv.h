#pragma once
/// The King James Bible corpus, extracted once from Debian's `bible-kjv` packages into a data cache.
/// The text is what `bible -p /usr/lib gen1:1-rev22:21` prints (4,298,239 bytes of ASCII: book and
/// chapter headings, numbered verses wrapped at 80 columns), taken as it is: running the package's
/// own program is simpler and safer than decoding its compressed `bible.data` format ourselves.
///
/// The cache folder (corpus_cache.h) holds kjv.txt, train/val/test.txt and kjv.json. Idempotent: a
/// folder whose kjv.json and files match is left as it is.
#include <string>

#include "beyond/data/text/corpus_cache.h"

namespace beyond::data {

struct KjvOptions {
  std::string bible = "bible";          ///< the program (from package bible-kjv)
  std::string data_dir = "/usr/lib";    ///< where bible.data lives (package bible-kjv-text)
  double val_fraction = 0.05, test_fraction = 0.05;
};

/// Extracts the corpus into `out_dir` (created if needed). Errors say which package to install.
CorpusSummary extract_kjv(const std::string& out_dir, const KjvOptions& options = {});

}  // namespace beyond::data
