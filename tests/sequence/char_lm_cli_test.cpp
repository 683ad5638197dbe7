// The char-lm command line: user-facing errors for bad input, exit codes, and `beyond sample`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/cli.h"
#include "support/temp_dir.h"

using beyond::test::contains;
using beyond::test::run_cli;
using beyond::test::TempDir;

namespace {
std::string write_text(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}
std::vector<std::string> tiny(const std::string& text, const std::string& out) {
  return {"--threads", "1", "train", "char-lm", "--text", text, "--out", out, "--set", "data.batch_size=4",
          "--set", "data.seq_len=10", "--set", "model.hidden=8", "--set", "train.steps=2",
          "--set", "eval.sample_chars=20"};
}
}  // namespace

TEST(CharLmCli, EmptyFileIsAnError) {
  TempDir dir;
  auto r = run_cli(tiny(write_text(dir, "empty.txt", ""), dir / "run"), dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "empty.txt is empty")) << r.output;
}

TEST(CharLmCli, NonUtf8FileNamesTheByteOffsetAndBytesFallbackTrains) {
  TempDir dir;
  std::string latin1;
  for (int i = 0; i < 30; ++i) latin1 += "Le caf\xE9 est chaud. ";
  const std::string path = write_text(dir, "latin1.txt", latin1);
  auto r = run_cli(tiny(path, dir / "run"), dir / "log");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "latin1.txt is not valid UTF-8: invalid byte sequence at byte offset 6")) << r.output;
  auto args = tiny(path, dir / "bytes");
  args.insert(args.end(), {"--vocab", "bytes"});
  auto ok = run_cli(args, dir / "log2");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(CharLmCli, MissingTextAndUnknownCellAreUsageErrors) {
  TempDir dir;
  auto r = run_cli({"train", "char-lm", "--out", dir / "run"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "pass --text FILE")) << r.output;
  auto v = run_cli({"train", "vae", "--text", "x.txt", "--out", dir / "run"}, dir / "log2");
  EXPECT_EQ(v.exit_code, 2) << v.output;
  EXPECT_TRUE(contains(v.output, "--text: model 'vae' has no data.text")) << v.output;
}

TEST(CharLmCli, SampleWithPrimeAndTemperature) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 20; ++i) text += "And God said, Let there be light: and there was light.\n";
  ASSERT_EQ(run_cli(tiny(write_text(dir, "t.txt", text), dir / "run"), dir / "log").exit_code, 0);
  auto s = run_cli({"--threads", "1", "sample", dir / "run", "--prime", "And God", "--temperature", "0.8", "--n", "50",
                    "--out", dir / "s.txt"},
                   dir / "log_s");
  ASSERT_EQ(s.exit_code, 0) << s.output;
  std::ifstream in(dir / "s.txt");
  std::string sampled((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(sampled.rfind("And God", 0), 0u) << sampled;
  EXPECT_EQ(sampled.size(), 57u);
  auto bad = run_cli({"sample", dir / "run", "--prime", "Zebra"}, dir / "log_bad");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(contains(bad.output, "the priming text has 'Z' (U+005A) at character 0")) << bad.output;
  auto cold = run_cli({"sample", dir / "run", "--temperature", "0"}, dir / "log_cold");
  EXPECT_EQ(cold.exit_code, 2) << cold.output;
}

TEST(CharLmCli, DataKjvExtractsTheSplitOnceAndNamesTheMissingPackage) {
  TempDir dir;
  auto missing = run_cli({"data", "kjv", "--out", dir / "x", "--bible-data", dir / "nowhere"}, dir / "log0");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(contains(missing.output, "apt-get install bible-kjv-text bible-kjv")) << missing.output;
  if (!std::filesystem::exists("/usr/lib/bible.data")) GTEST_SKIP() << "bible-kjv-text is not installed";
  auto first = run_cli({"data", "kjv", "--out", dir / "kjv"}, dir / "log1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(contains(first.output, "wrote")) << first.output;
  auto second = run_cli({"data", "kjv", "--out", dir / "kjv"}, dir / "log2");
  EXPECT_TRUE(contains(second.output, "already there")) << second.output;
  const auto size = [&](const char* f) { return std::filesystem::file_size(dir / (std::string("kjv/") + f)); };
  EXPECT_EQ(size("train.txt") + size("val.txt") + size("test.txt"), size("kjv.txt"));
  EXPECT_EQ(size("test.txt"), size("kjv.txt") / 20);  // ASCII: the last 5% of the characters
  std::ifstream test_split(dir / "kjv/test.txt");
  std::string tail((std::istreambuf_iterator<char>(test_split)), std::istreambuf_iterator<char>());
  EXPECT_NE(tail.find("The grace of our Lord Jesus Christ be with you all. Amen."), std::string::npos);
}
