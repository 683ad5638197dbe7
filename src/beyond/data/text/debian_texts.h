#pragma once
/// Two more real corpora that install offline from Debian, extracted once into a data cache folder
/// (corpus_cache.h) like the King James Bible (kjv.h):
///   - fortunes (package `fortunes`, ~2.6 MB): every fortune file of /usr/share/games/fortunes in name
///     order, as they are: entries separated by lines holding only "%", one such line also between
///     files. The positional test split is then the end of `work` and all of `zippy`.
///   - jargon (package `jargon-text`, ~1.7 MB): the Jargon File, version 4.4.7, decompressed from
///     /usr/share/doc/jargon-text/jargon.txt.gz.
/// Both are UTF-8 (checked). Idempotent: a complete folder is left as it is.
#include <string>

#include "beyond/data/text/corpus_cache.h"

namespace beyond::data {

struct FortunesOptions {
  std::string dir = "/usr/share/games/fortunes";
  CorpusSplit split;
};
/// Writes fortunes.txt, train/val/test.txt and fortunes.json into `out_dir`.
CorpusSummary extract_fortunes(const std::string& out_dir, const FortunesOptions& options = {});

struct JargonOptions {
  std::string file = "/usr/share/doc/jargon-text/jargon.txt.gz";
  CorpusSplit split;
};
/// Writes jargon.txt, train/val/test.txt and jargon.json into `out_dir`.
CorpusSummary extract_jargon(const std::string& out_dir, const JargonOptions& options = {});

}  // namespace beyond::data
