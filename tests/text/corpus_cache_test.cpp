// The text corpus cache (NAME.txt, train/val/test.txt, NAME.json) and the Debian corpora written into it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "beyond/core/atomic_file.h"
#include "beyond/data/text/corpus_cache.h"
#include "beyond/data/text/debian_texts.h"
#include "beyond/data/text/text_corpus.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

using namespace beyond;
using namespace beyond::data;
using beyond::test::error_of;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) { return read_file(p.string()); }

}  // namespace

TEST(CorpusCache, WritesThePositionalSplitAtCodePointsAndIsReusedUntilDamaged) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 40; ++i) text += "\xC3\xA9" "abcdefgh\n";  // 10 code points, 11 bytes per line
  const CorpusSplit split{0.1, 0.05};
  EXPECT_FALSE(cached_corpus(dir / "c", "demo", split));
  const auto s = write_corpus_cache(dir / "c", "demo", text, "demo text", split, {{"source", "a test"}});
  EXPECT_FALSE(s.reused);
  EXPECT_EQ(s.bytes, static_cast<int64_t>(text.size()));
  EXPECT_EQ(s.test, 20);  // of 400 code points
  EXPECT_EQ(s.val, 40);
  EXPECT_EQ(s.train, 340);
  EXPECT_EQ(slurp(dir / "c/demo.txt"), text);
  EXPECT_EQ(slurp(dir / "c/train.txt") + slurp(dir / "c/val.txt") + slurp(dir / "c/test.txt"), text);
  EXPECT_EQ(slurp(dir / "c/test.txt"), "\xC3\xA9" "abcdefgh\n\xC3\xA9" "abcdefgh\n");

  auto again = cached_corpus(dir / "c", "demo", split);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->train, 340);
  EXPECT_FALSE(cached_corpus(dir / "c", "demo", CorpusSplit{}));  // another split: extract again
  std::ofstream(dir / "c/demo.json") << "{ truncated";
  EXPECT_FALSE(cached_corpus(dir / "c", "demo", split));
  write_corpus_cache(dir / "c", "demo", text, "demo text", split, {});
  fs::remove(dir / "c/val.txt");
  EXPECT_FALSE(cached_corpus(dir / "c", "demo", split));

  const std::string msg = error_of([&] { write_corpus_cache(dir / "d", "bad", "ok \xE9t", "bad.txt", split, {}); });
  EXPECT_NE(msg.find("bad.txt is not valid UTF-8"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir / "d/bad.json"));
}

TEST(DebianTexts, MissingPackagesAreNamed) {
  test::TempDir dir;
  FortunesOptions fortunes;
  fortunes.dir = dir / "nowhere";
  std::string msg = error_of([&] { extract_fortunes(dir / "f", fortunes); });
  EXPECT_NE(msg.find("apt-get install fortunes"), std::string::npos) << msg;
  JargonOptions jargon;
  jargon.file = dir / "nowhere.txt.gz";
  msg = error_of([&] { extract_jargon(dir / "j", jargon); });
  EXPECT_NE(msg.find("apt-get install jargon-text"), std::string::npos) << msg;
}

TEST(DebianTexts, FortunesKeepOneSeparatorBetweenFilesEvenWhenAFileLacksItsLast) {
  test::TempDir dir;
  fs::create_directories(dir / "fortunes");
  std::ofstream(dir / "fortunes/b") << "second file\n%\n";
  std::ofstream(dir / "fortunes/a") << "first\n%\nno closing separator\n";
  std::ofstream(dir / "fortunes/a.dat") << "index";
  fs::create_symlink("a", dir / "fortunes/a.u8");
  FortunesOptions options;
  options.dir = dir / "fortunes";
  extract_fortunes(dir / "out", options);
  EXPECT_EQ(slurp(dir / "out/fortunes.txt"), "first\n%\nno closing separator\n%\nsecond file\n%\n");
}

TEST(DebianTexts, TheInstalledCorporaExtractOnceAndLoad) {
  test::TempDir dir;
  if (!fs::exists(FortunesOptions{}.dir) || !fs::exists(JargonOptions{}.file))
    GTEST_SKIP() << "fortunes or jargon-text is not installed (scripts/setup.sh installs them)";
  const auto fortunes = extract_fortunes(dir / "fortunes");
  EXPECT_GT(fortunes.bytes, 2'000'000);
  EXPECT_TRUE(extract_fortunes(dir / "fortunes").reused);
  const auto jargon = extract_jargon(dir / "jargon");
  EXPECT_GT(jargon.bytes, 1'500'000);
  EXPECT_NE(slurp(dir / "jargon/jargon.txt").find("hacker"), std::string::npos);
  const auto corpus = load_text_corpus(dir / "jargon", TextCorpusOptions());
  EXPECT_EQ(corpus.test.numel(), jargon.test);
  EXPECT_EQ(corpus.train.numel(), jargon.train);
}
