#pragma once
/// A text corpus extracted once into a data cache folder, so that training reads plain split files:
///   NAME.txt                         the whole text
///   train.txt, val.txt, test.txt     the positional split of text_corpus.h (last 5% test, the 5%
///                                    before it validation), at code point boundaries
///   NAME.json                        where the text came from, sizes and split fractions (written
///                                    last: its presence means the folder is complete)
/// `beyond data kjv|fortunes|jargon` write such folders from Debian packages; `--data DIR` reads them.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace beyond::data {

struct CorpusSummary {
  int64_t bytes = 0, train = 0, val = 0, test = 0;  ///< the whole text in bytes; splits in characters
  bool reused = false;                              ///< the cache was already complete
};

struct CorpusSplit {
  double val_fraction = 0.05, test_fraction = 0.05;
};

/// The summary of a complete cache `name` in `dir` with this split, or nullopt (missing, incomplete,
/// another split, or a damaged NAME.json).
std::optional<CorpusSummary> cached_corpus(const std::string& dir, const std::string& name, const CorpusSplit& split);

/// Writes the cache of `text` (UTF-8, checked: an invalid sequence is an error naming `what` and the
/// byte offset). `provenance` (e.g. {"source", ...}, {"command", ...}) goes into NAME.json.
CorpusSummary write_corpus_cache(const std::string& dir, const std::string& name, const std::string& text,
                                 const std::string& what, const CorpusSplit& split,
                                 const std::vector<std::pair<std::string, std::string>>& provenance);

/// The standard output of a shell command. An error (it could not run, exited non-zero, or printed
/// nothing) says `install_hint`.
std::string command_output(const std::string& command, const std::string& install_hint);

}  // namespace beyond::data
