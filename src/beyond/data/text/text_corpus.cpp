#include "beyond/data/text/text_corpus.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "beyond/core/error.h"

namespace beyond::data {
namespace fs = std::filesystem;

std::string read_text_file(const std::string& path) {
  BEYOND_CHECK(fs::exists(path), "text file ", path, " does not exist");
  BEYOND_CHECK(!fs::is_directory(path), path, " is a folder, not a text file");
  std::ifstream in(path, std::ios::binary);
  BEYOND_CHECK(in, "cannot open text file ", path, " (permissions?)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  BEYOND_CHECK(!bytes.empty(), "text file ", path, " is empty; a character model needs text to train on");
  return bytes;
}

std::array<int64_t, 3> split_sizes(int64_t n, double val_fraction, double test_fraction) {
  BEYOND_CHECK_USAGE(val_fraction >= 0 && test_fraction >= 0 && val_fraction + test_fraction < 1,
                     "data.val_fraction (", val_fraction, ") and data.test_fraction (", test_fraction,
                     ") must be >= 0 and sum to less than 1");
  const auto test = static_cast<int64_t>(std::floor(static_cast<double>(n) * test_fraction));
  const auto val = static_cast<int64_t>(std::floor(static_cast<double>(n) * val_fraction));
  return {n - val - test, val, test};
}

TextCorpus load_text_corpus(const std::string& path, const TextCorpusOptions& options) {
  TextCorpus corpus;
  corpus.source = path;
  std::array<std::vector<int32_t>, 3> parts;
  if (fs::is_directory(path)) {
    const char* names[] = {"train.txt", "val.txt", "test.txt"};
    for (int i = 0; i < 3; ++i) {
      const std::string file = (fs::path(path) / names[i]).string();
      BEYOND_CHECK(fs::exists(file), path, " has no ", names[i], "; a corpus folder holds train.txt, val.txt and ",
                   "test.txt (as `beyond data kjv --out DIR` writes), or pass a single text file");
      parts[i] = text_symbols(read_text_file(file), options.vocab(), file);
    }
  } else {
    auto all = text_symbols(read_text_file(path), options.vocab(), path);
    const auto sizes = split_sizes(static_cast<int64_t>(all.size()), options.val_fraction(), options.test_fraction());
    auto it = all.begin();
    for (int i = 0; i < 3; ++i) {
      parts[i].assign(it, it + sizes[i]);
      it += sizes[i];
    }
  }
  std::vector<int32_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  corpus.vocabulary = Vocabulary::of(options.vocab(), all);
  corpus.train = corpus.vocabulary.encode(parts[0], path + " (train split)");
  corpus.val = corpus.vocabulary.encode(parts[1], path + " (val split)");
  corpus.test = corpus.vocabulary.encode(parts[2], path + " (test split)");
  return corpus;
}

}  // namespace beyond::data
