// `beyond demo --only sequence`: the sequence panel samples a given char-lm run, or trains a small one
// when there is none, and draws the gradient plots into the index page.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "beyond/core/atomic_file.h"
#include "support/cli.h"
#include "support/temp_dir.h"

using beyond::read_file;
using beyond::test::contains;
using beyond::test::run_cli;
using beyond::test::TempDir;

namespace {
namespace fs = std::filesystem;

std::string verses(const TempDir& dir) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "And God said, Let there be light: and there was light.\n";
  const std::string path = dir / "verses.txt";
  std::ofstream(path) << text;
  return path;
}

bool is_png(const std::string& path) {
  return fs::exists(path) && read_file(path).compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

/// The panel's files and its block of the index page, whichever model it sampled.
void expect_panel(const std::string& out, const std::string& prime) {
  EXPECT_TRUE(is_png(out + "/sequence/gradients.png"));
  EXPECT_TRUE(is_png(out + "/sequence/radius.png"));
  const std::string sample = read_file(out + "/sequence/sample.txt");
  EXPECT_EQ(sample.rfind(prime, 0), 0u) << sample;
  EXPECT_GE(sample.size(), prime.size() + 500);  // 500 drawn characters, each at least a byte
  const std::string html = read_file(out + "/index.html");
  EXPECT_TRUE(contains(html, "<h2>sequence</h2>")) << html;
  EXPECT_TRUE(contains(html, "<pre>" + prime)) << html;
  EXPECT_TRUE(contains(html, "sequence/gradients.png")) << html;
  EXPECT_TRUE(contains(html, "test_bpc")) << html;  // the final metrics row
  EXPECT_TRUE(contains(html, "log10 ||dL/dh_0|| / ||dL/dh_99||: rnn -")) << html;  // the RNN's gradient vanishes
  EXPECT_FALSE(contains(html, "<h2>vae</h2>")) << html;  // --only sequence
}

}  // namespace

TEST(DemoCli, SequencePanelSamplesTheGivenCharLmRun) {
  TempDir dir;
  const std::string run = dir / "run";
  auto train = run_cli({"--threads", "1", "train", "char-lm", "--text", verses(dir), "--out", run, "--set",
                        "data.batch_size=4", "--set", "data.seq_len=10", "--set", "model.hidden=8", "--set",
                        "train.steps=2", "--set", "eval.prime=And God"},
                       dir / "log_train");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string out = dir / "demo";
  auto r = run_cli({"--threads", "1", "demo", "--only", "sequence", "--char-lm", run, "--out", out}, dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_panel(out, "And God");
  EXPECT_FALSE(fs::exists(out + "/sequence/char_lm")) << "trained although a run was given";
  EXPECT_TRUE(contains(read_file(out + "/index.html"), "character LSTM of " + run));
}

TEST(DemoCli, SequencePanelTrainsASmallModelWithoutARun) {
  TempDir dir;
  const std::string out = dir / "demo";
  auto r = run_cli({"--threads", "1", "demo", "--only", "sequence", "--char-lm", dir / "none", "--char-lm-text",
                    verses(dir), "--char-lm-steps", "3", "--out", out},
                   dir / "log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "holds no char-lm run")) << r.output;
  EXPECT_TRUE(fs::exists(out + "/sequence/char_lm/model.safetensors"));
  expect_panel(out, "And God said");  // char_lm's default eval.prime; the text has all its characters
  EXPECT_TRUE(contains(read_file(out + "/index.html"), "after 3 steps on"));
}

TEST(DemoCli, SequencePanelRefusesARunOfAnotherTask) {
  TempDir dir;
  fs::create_directories(dir / "vae_run");
  std::ofstream((dir / "vae_run") + "/config.yaml") << "task: vae\n";
  auto r = run_cli({"demo", "--only", "sequence", "--char-lm", dir / "vae_run", "--out", dir / "demo"}, dir / "log");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is a 'vae' run, not a character language model")) << r.output;
}
