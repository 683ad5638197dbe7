#include "beyond/data/text/kjv.h"

#include <filesystem>

#include "beyond/core/error.h"

namespace beyond::data {

CorpusSummary extract_kjv(const std::string& out_dir, const KjvOptions& options) {
  const CorpusSplit split{options.val_fraction, options.test_fraction};
  if (auto cached = cached_corpus(out_dir, "kjv", split)) return *cached;
  BEYOND_CHECK(std::filesystem::exists(std::filesystem::path(options.data_dir) / "bible.data"), "no bible.data in ",
               options.data_dir,
               ": install the King James text (apt-get install bible-kjv-text bible-kjv; scripts/setup.sh does)");
  const std::string command = options.bible + " -p '" + options.data_dir + "' gen1:1-rev22:21";
  const std::string text = command_output(command, "install the `bible` program (apt-get install bible-kjv)");
  return write_corpus_cache(out_dir, "kjv", text, "the output of `" + command + "`", split,
                            {{"source", "King James Bible, Debian packages bible-kjv-text + bible-kjv"},
                             {"command", command}});
}

}  // namespace beyond::data
