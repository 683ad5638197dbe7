#include "beyond/data/text/kjv.h"

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

std::string run_bible(const KjvOptions& o, std::string& command) {
  BEYOND_CHECK(fs::exists(fs::path(o.data_dir) / "bible.data"), "no bible.data in ", o.data_dir,
               ": install the King James text (apt-get install bible-kjv-text bible-kjv; scripts/setup.sh does)");
  command = o.bible + " -p '" + o.data_dir + "' gen1:1-rev22:21";
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  BEYOND_CHECK(pipe, "cannot run `", command, "`");
  std::string text;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  BEYOND_CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !text.empty(), "`", command,
               "` failed (status ", status, "): install the `bible` program (apt-get install bible-kjv)");
  return text;
}

std::string utf8_of(const std::vector<int32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) append_utf8(cps[i], out);
  return out;
}

}  // namespace

KjvSummary extract_kjv(const std::string& out_dir, const KjvOptions& options) {
  const fs::path dir(out_dir);
  const fs::path meta = dir / "kjv.json";
  const char* files[] = {"train.txt", "val.txt", "test.txt"};
  if (fs::exists(meta)) {
    try {
      const auto j = nlohmann::json::parse(read_file(meta.string()));
      bool complete = j.at("val_fraction").get<double>() == options.val_fraction &&
                      j.at("test_fraction").get<double>() == options.test_fraction &&
                      fs::exists(dir / "kjv.txt") &&
                      static_cast<int64_t>(fs::file_size(dir / "kjv.txt")) == j.at("bytes").get<int64_t>();
      for (const char* f : files) complete = complete && fs::exists(dir / f);
      if (complete)
        return {j.at("bytes").get<int64_t>(), j.at("train").get<int64_t>(), j.at("val").get<int64_t>(),
                j.at("test").get<int64_t>(), true};
    } catch (const nlohmann::json::exception&) {
      // a damaged kjv.json: extract again
    }
  }
  ensure_writable_dir(out_dir);
  std::string command;
  const std::string text = run_bible(options, command);
  const auto cps = decode_utf8(text, "the output of `" + command + "`");
  const auto sizes = split_sizes(static_cast<int64_t>(cps.size()), options.val_fraction, options.test_fraction);
  write_file_atomic((dir / "kjv.txt").string(), text);
  size_t begin = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = begin + static_cast<size_t>(sizes[i]);
    write_file_atomic((dir / files[i]).string(), utf8_of(cps, begin, end));
    begin = end;
  }
  KjvSummary s{static_cast<int64_t>(text.size()), sizes[0], sizes[1], sizes[2], false};
  nlohmann::json j = {{"source", "King James Bible, Debian packages bible-kjv-text + bible-kjv"},
                      {"command", command},
                      {"bytes", s.bytes},
                      {"characters", static_cast<int64_t>(cps.size())},
                      {"train", s.train},
                      {"val", s.val},
                      {"test", s.test},
                      {"val_fraction", options.val_fraction},
                      {"test_fraction", options.test_fraction},
                      {"split", "positional: the last test_fraction of the characters is test, the val_fraction "
                                "before it val, the rest train"}};
  write_file_atomic(meta.string(), j.dump(2) + "\n");  // last: its presence means the folder is complete
  return s;
}

}  // namespace beyond::data
