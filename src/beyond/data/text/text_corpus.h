#pragma once
/// A text corpus for character models: a file (or a folder of split files) read, validated, given
/// a vocabulary and encoded as ids.
///
/// The split of one file is deterministic and positional, so no text leaks between splits and a
/// model is tested on text that comes after everything it was trained on: of n symbols, the last
/// floor(n * test_fraction) are the test split, the floor(n * val_fraction) before them the
/// validation split, and the rest the training split. (Defaults 0.05 / 0.05: the last 5% test,
/// the 5% before it validation.) `beyond data kjv` writes the same split as train.txt / val.txt /
/// test.txt, so a folder of those files and the single file give the same ids.
#include <torch/types.h>

#include <array>
#include <string>

#include "beyond/data/text/vocabulary.h"

namespace beyond::data {

struct TextCorpusOptions {
  TORCH_ARG(VocabKind, vocab) = VocabKind::Codepoints;
  TORCH_ARG(double, val_fraction) = 0.05;
  TORCH_ARG(double, test_fraction) = 0.05;
};

/// Ids of the three splits ([n] int64 each) and the vocabulary of all of them.
struct TextCorpus {
  Vocabulary vocabulary;
  torch::Tensor train, val, test;
  std::string source;  ///< the file or folder read
};

/// The whole file as bytes. Errors: missing, unreadable, empty (each names the path).
std::string read_text_file(const std::string& path);

/// Sizes (train, val, test) of the positional split of n symbols (see the file comment).
std::array<int64_t, 3> split_sizes(int64_t n, double val_fraction, double test_fraction);

/// Reads `path`: a text file (split by the fractions) or a folder holding train.txt, val.txt and
/// test.txt (as `beyond data kjv` writes; the fractions are then unused).
TextCorpus load_text_corpus(const std::string& path, const TextCorpusOptions& options);

}  // namespace beyond::data
