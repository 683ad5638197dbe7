#include "beyond/data/text/corpus_cache.h"

#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/data/text/text_corpus.h"
#include "beyond/data/text/utf8.h"

namespace beyond::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSplitFiles[] = {"train.txt", "val.txt", "test.txt"};

std::string utf8_of(const std::vector<int32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) append_utf8(cps[i], out);
  return out;
}

}  // namespace

std::optional<CorpusSummary> cached_corpus(const std::string& dir, const std::string& name, const CorpusSplit& split) {
  const fs::path d(dir), meta = d / (name + ".json"), whole = d / (name + ".txt");
  if (!fs::exists(meta)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(read_file(meta.string()));
    bool complete = j.at("val_fraction").get<double>() == split.val_fraction &&
                    j.at("test_fraction").get<double>() == split.test_fraction && fs::exists(whole) &&
                    static_cast<int64_t>(fs::file_size(whole)) == j.at("bytes").get<int64_t>();
    for (const char* f : kSplitFiles) complete = complete && fs::exists(d / f);
    if (!complete) return std::nullopt;
    return CorpusSummary{j.at("bytes").get<int64_t>(), j.at("train").get<int64_t>(), j.at("val").get<int64_t>(),
                         j.at("test").get<int64_t>(), true};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged NAME.json: extract again
  }
}

CorpusSummary write_corpus_cache(const std::string& dir, const std::string& name, const std::string& text,
                                 const std::string& what, const CorpusSplit& split,
                                 const std::vector<std::pair<std::string, std::string>>& provenance) {
  ensure_writable_dir(dir);
  const fs::path d(dir);
  fs::remove(d / (name + ".json"));  // until the new one is written, the folder is incomplete
  const auto cps = decode_utf8(text, what);
  const auto sizes = split_sizes(static_cast<int64_t>(cps.size()), split.val_fraction, split.test_fraction);
  write_file_atomic((d / (name + ".txt")).string(), text);
  size_t begin = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = begin + static_cast<size_t>(sizes[i]);
    write_file_atomic((d / kSplitFiles[i]).string(), utf8_of(cps, begin, end));
    begin = end;
  }
  const CorpusSummary s{static_cast<int64_t>(text.size()), sizes[0], sizes[1], sizes[2], false};
  nlohmann::json j;
  for (const auto& [key, value] : provenance) j[key] = value;
  j["bytes"] = s.bytes;
  j["characters"] = static_cast<int64_t>(cps.size());
  j["train"] = s.train;
  j["val"] = s.val;
  j["test"] = s.test;
  j["val_fraction"] = split.val_fraction;
  j["test_fraction"] = split.test_fraction;
  j["split"] = "positional: the last test_fraction of the characters is test, the val_fraction before it val, "
               "the rest train";
  write_file_atomic((d / (name + ".json")).string(), j.dump(2) + "\n");  // last: the folder is complete
  return s;
}

std::string command_output(const std::string& command, const std::string& install_hint) {
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  BEYOND_CHECK(pipe, "cannot run `", command, "`: ", install_hint);
  std::string text;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  BEYOND_CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !text.empty(), "`", command,
               "` failed (status ", status, "): ", install_hint);
  return text;
}

}  // namespace beyond::data
