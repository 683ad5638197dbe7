#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "beyond/data/text/bptt_batches.h"
#include "beyond/data/text/text_corpus.h"
#include "beyond/eval/bits_per_character.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

using namespace beyond;
using namespace beyond::data;
using beyond::test::error_of;
using beyond::test::TempDir;

namespace {
std::string write(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}
}  // namespace

TEST(TextCorpus, PositionalSplitLastFivePercentTest) {
  EXPECT_EQ(split_sizes(1000, 0.05, 0.05), (std::array<int64_t, 3>{900, 50, 50}));
  EXPECT_EQ(split_sizes(99, 0.05, 0.05), (std::array<int64_t, 3>{91, 4, 4}));
  TempDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += static_cast<char>('a' + i % 26);
  const auto corpus = load_text_corpus(write(dir, "t.txt", text), {});
  ASSERT_EQ(corpus.train.numel(), 180);
  ASSERT_EQ(corpus.val.numel(), 10);
  ASSERT_EQ(corpus.test.numel(), 10);
  EXPECT_EQ(corpus.vocabulary.decode(corpus.test), text.substr(190));
  EXPECT_EQ(corpus.vocabulary.decode(corpus.val), text.substr(180, 10));
}

TEST(TextCorpus, FolderOfSplitsGivesTheSameIds) {
  TempDir dir;
  const std::string text = "In the beginning God created the heaven and the earth. And the earth was without form.";
  const auto sizes = split_sizes(static_cast<int64_t>(text.size()), 0.05, 0.05);
  std::filesystem::create_directories(dir / "kjv");
  write(dir, "kjv/train.txt", text.substr(0, sizes[0]));
  write(dir, "kjv/val.txt", text.substr(sizes[0], sizes[1]));
  write(dir, "kjv/test.txt", text.substr(sizes[0] + sizes[1]));
  const auto a = load_text_corpus(write(dir, "all.txt", text), {}), b = load_text_corpus(dir / "kjv", {});
  EXPECT_TRUE(torch::equal(a.train, b.train));
  EXPECT_TRUE(torch::equal(a.test, b.test));
  EXPECT_TRUE(a.vocabulary == b.vocabulary);
}

TEST(TextCorpus, EmptyMissingAndNonUtf8FilesAreErrors) {
  TempDir dir;
  EXPECT_NE(error_of([&] { load_text_corpus(write(dir, "empty.txt", ""), {}); }).find("empty.txt is empty"),
            std::string::npos);
  EXPECT_NE(error_of([&] { load_text_corpus(dir / "missing.txt", {}); }).find("missing.txt does not exist"),
            std::string::npos);
  const std::string path = write(dir, "latin1.txt", std::string(1000, 'x') + "caf\xE9 au lait");
  const std::string msg = error_of([&] { load_text_corpus(path, {}); });
  EXPECT_NE(msg.find("latin1.txt is not valid UTF-8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte offset 1003"), std::string::npos) << msg;
  // The documented fallback: bytes.
  const auto bytes = load_text_corpus(path, TextCorpusOptions().vocab(VocabKind::Bytes));
  EXPECT_EQ(bytes.train.numel() + bytes.val.numel() + bytes.test.numel(), 1012);
}

TEST(BpttBatches, StreamsContinueAcrossWindows) {
  const auto ids = torch::arange(0, 1001, torch::kInt64);  // symbol i at position i
  BpttBatches batches(ids, /*streams=*/4, /*seq_len=*/10, "test");
  EXPECT_EQ(batches.stream_length(), 250);
  EXPECT_EQ(batches.windows(), 25);
  const auto w0 = batches.window(0), w1 = batches.window(1);
  ASSERT_EQ(w0.input.sizes(), (std::vector<int64_t>{10, 4}));
  // Stream s starts at s * 250; window 1 continues where window 0 ended; targets are the next symbol.
  EXPECT_EQ(w0.input[0][2].item<int64_t>(), 500);
  EXPECT_EQ(w1.input[0][2].item<int64_t>(), w0.input[9][2].item<int64_t>() + 1);
  EXPECT_TRUE(torch::equal(w0.target, w0.input + 1));
  BpttBatches uneven(ids, 3, 7, "test");  // 333 per stream: 47 full windows and a tail of 4
  EXPECT_EQ(uneven.windows(), 47);
  EXPECT_EQ(uneven.windows_with_tail(), 48);
  EXPECT_EQ(uneven.window(47).input.size(0), 4);
}

TEST(BpttBatches, SequenceLongerThanTheCorpusIsAnError) {
  const auto ids = torch::arange(0, 500, torch::kInt64);
  const std::string msg = error_of([&] { BpttBatches(ids, 64, 100, "tiny.txt (train split)"); });
  EXPECT_NE(msg.find("sequence length 100 x 64 parallel streams needs at least 6401 characters, but tiny.txt "
                     "(train split) has 500"),
            std::string::npos)
      << msg;
}

TEST(BitsPerCharacter, MatchesAHandComputation) {
  eval::BitsPerCharacter bpc;
  // Uniform over 4 symbols: exactly 2 bits each.
  bpc.process(torch::zeros({3, 2, 4}), torch::tensor({0, 1, 2, 3, 0, 1}, torch::kInt64).view({3, 2}));
  EXPECT_DOUBLE_EQ(bpc.evaluate(), 2.0);
  // logits (ln 1, ln 2, ln 5): p = 1/8, 2/8, 5/8. Targets 2 and 0: bits = -log2(5/8) - log2(1/8).
  bpc.reset();
  const auto logits = torch::tensor({std::log(1.0), std::log(2.0), std::log(5.0)}, torch::kFloat64).repeat({2, 1});
  bpc.process(logits, torch::tensor({2, 0}, torch::kInt64));
  const double hand = (-std::log2(5.0 / 8.0) - std::log2(1.0 / 8.0)) / 2.0;
  EXPECT_NEAR(bpc.evaluate(), hand, 1e-12);
  EXPECT_EQ(bpc.count(), 2);
  EXPECT_NE(error_of([&] { bpc.process(torch::zeros({2, 3}), torch::zeros({3}, torch::kInt64)); }).find("logits"),
            std::string::npos);
}
