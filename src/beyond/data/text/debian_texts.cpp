#include "beyond/data/text/debian_texts.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond::data {
namespace fs = std::filesystem;

namespace {

/// The fortune files of `dir`: regular files without the strfile index (.dat) or the UTF-8 aliases
/// (.u8, links to the same files), in name order so that the corpus is the same on every machine.
std::vector<fs::path> fortune_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && !entry.is_symlink() && ext != ".dat" && ext != ".u8") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

CorpusSummary extract_fortunes(const std::string& out_dir, const FortunesOptions& options) {
  if (auto cached = cached_corpus(out_dir, "fortunes", options.split)) return *cached;
  const std::string hint = "install the fortunes (apt-get install fortunes; scripts/setup.sh does)";
  BEYOND_CHECK(fs::is_directory(options.dir), "no fortune folder ", options.dir, ": ", hint);
  const auto files = fortune_files(options.dir);
  BEYOND_CHECK(!files.empty(), "no fortune files in ", options.dir, ": ", hint);
  std::string text;
  for (const auto& f : files) {
    // Most files end with their last entry's "%" line, some do not; either way exactly one "%" line
    // separates the last entry of a file from the first of the next.
    const bool separated = text.empty() || (text.size() >= 2 && text.compare(text.size() - 2, 2, "%\n") == 0);
    if (!separated) text += "%\n";
    text += read_file(f.string());
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return write_corpus_cache(out_dir, "fortunes", text, "the fortune files of " + options.dir, options.split,
                            {{"source", "fortunes, Debian package fortunes (" + std::to_string(files.size()) +
                                            " files of " + options.dir + " in name order)"}});
}

CorpusSummary extract_jargon(const std::string& out_dir, const JargonOptions& options) {
  if (auto cached = cached_corpus(out_dir, "jargon", options.split)) return *cached;
  const std::string hint = "install the Jargon File (apt-get install jargon-text; scripts/setup.sh does)";
  BEYOND_CHECK(fs::exists(options.file), "no ", options.file, ": ", hint);
  const std::string command = "gzip -dc '" + options.file + "'";
  const std::string text = command_output(command, hint);
  return write_corpus_cache(out_dir, "jargon", text, options.file, options.split,
                            {{"source", "The Jargon File, Debian package jargon-text"}, {"command", command}});
}

}  // namespace beyond::data
