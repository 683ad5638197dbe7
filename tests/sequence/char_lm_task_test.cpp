// The char_lm task through the library: training, evaluation, exact resume, sampling, vocabulary.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "beyond/core/safetensors.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/char_lm_task.h"
#include "beyond/tasks/run.h"
#include "support/helpers.h"
#include "support/temp_dir.h"

using namespace beyond;
using beyond::test::error_of;
using beyond::test::TempDir;

namespace {

const char* kVerse =
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; and "
    "darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.\n";

std::string write_text(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

int64_t distinct(const std::string& ascii) { return static_cast<int64_t>(std::set<char>(ascii.begin(), ascii.end()).size()); }

std::string repeated(int times) {
  std::string s;
  for (int i = 0; i < times; ++i) s += kVerse;
  return s;
}

/// A tiny char_lm config: 8 streams x 20, 16 hidden units, constant learning rate.
Config tiny_config(const std::string& text, int64_t steps) {
  Config cfg = Config::builtin("char_lm");
  cfg.set("data.text", text);
  cfg.set("data.batch_size", "8");
  cfg.set("data.seq_len", "20");
  cfg.set("model.hidden", "16");
  cfg.set("model.embedding_dim", "8");
  cfg.set("optim.lr", "1e-2");
  cfg.set("optim.schedule", "constant");
  cfg.set("train.steps", std::to_string(steps));
  cfg.set("train.log_every", "1");
  cfg.set("train.eval_every", "0");
  cfg.set("train.checkpoint_every", "3");
  cfg.set("eval.streams", "2");
  cfg.set("eval.seq_len", "50");
  cfg.set("eval.sample_chars", "40");
  cfg.set("eval.prime", "And");
  return cfg;
}

RunOptions quiet_run(const std::string& dir, const std::string& resume = "") {
  RunOptions o;
  o.out_dir = dir;
  o.resume = resume;
  o.progress = false;
  return o;
}

}  // namespace

TEST(CharLmTask, TrainingLowersBitsPerCharacterAndWritesSamples) {
  torch::set_num_threads(1);
  TempDir dir;
  const std::string text = write_text(dir, "verse.txt", repeated(12));  // ~2.3 KB: 13 windows per epoch
  auto result = train_run(tiny_config(text, 40), quiet_run(dir / "run"));
  ASSERT_EQ(result.status, TrainResult::Status::Completed);
  ASSERT_TRUE(result.final_metrics.count("val_bpc"));
  ASSERT_TRUE(result.final_metrics.count("test_bpc"));
  // Uniform guessing over the 29 symbols costs log2(29) = 4.9 bits; a repeated verse is far more predictable.
  ASSERT_EQ(distinct(kVerse), 29);
  EXPECT_LT(result.final_metrics["test_bpc"], 3.5);
  std::ifstream samples(dir / "run/images/samples.txt");
  std::string first_line;
  std::getline(samples, first_line);
  EXPECT_EQ(first_line, "=== temperature 0.5, primed with \"And\" ===");
  // The vocabulary is saved with the weights.
  const auto meta = load_safetensors_metadata(dir / "run/model.safetensors");
  EXPECT_EQ(meta.at("vocab"), "codepoints");
  EXPECT_EQ(load_safetensors(dir / "run/model.safetensors").at("vocabulary.symbols").numel(), distinct(kVerse));
}

TEST(CharLmTask, ResumeIsExactAcrossAnEpochBoundary) {
  torch::set_num_threads(1);
  TempDir dir;
  // 8 streams of 60 symbols: 3 windows of 20 per epoch, so steps 3..5 start a new epoch (state reset).
  const std::string text = write_text(dir, "t.txt", repeated(3).substr(0, 540));
  ASSERT_EQ(train_run(tiny_config(text, 6), quiet_run(dir / "straight")).status, TrainResult::Status::Completed);
  ASSERT_EQ(train_run(tiny_config(text, 4), quiet_run(dir / "stopped")).status, TrainResult::Status::Completed);
  ASSERT_EQ(train_run(tiny_config(text, 6), quiet_run(dir / "stopped", "latest")).status,
            TrainResult::Status::Completed);
  const auto a = load_safetensors(dir / "straight/model.safetensors");
  const auto b = load_safetensors(dir / "stopped/model.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : a) EXPECT_TRUE(torch::equal(v, b.at(k))) << k;
  EXPECT_GT(a.at("carry.h").abs().sum().item<double>(), 0);  // the carried state is real state
}

TEST(CharLmTask, ResumeAgainstAnotherTextIsAVocabularyMismatch) {
  torch::set_num_threads(1);
  TempDir dir;
  const std::string text = write_text(dir, "t.txt", repeated(4));
  ASSERT_EQ(train_run(tiny_config(text, 2), quiet_run(dir / "run")).status, TrainResult::Status::Completed);
  // Same size, other symbols: 'z' instead of 'G' would load silently without the check.
  std::string other = repeated(4);
  for (char& c : other)
    if (c == 'G') c = 'z';
  const std::string other_path = write_text(dir, "other.txt", other);
  const std::string msg = error_of([&] { train_run(tiny_config(other_path, 4), quiet_run(dir / "run", "latest")); });
  EXPECT_NE(msg.find("vocabulary mismatch between the checkpoint and the text"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only in the checkpoint: 'G' (U+0047)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only in the text: 'z' (U+007A)"), std::string::npos) << msg;
  // A text with more symbols (other shapes) gets the same message, not an embedding shape error.
  const std::string more = write_text(dir, "more.txt", repeated(4) + "Zq");
  const std::string msg2 = error_of([&] { train_run(tiny_config(more, 4), quiet_run(dir / "run", "latest")); });
  EXPECT_NE(msg2.find(str("the checkpoint has ", distinct(kVerse), " symbols, the text ", distinct(kVerse) + 2)),
            std::string::npos)
      << msg2;
}

TEST(CharLmTask, SamplingFromARunIsDeterministicAndChecksThePrime) {
  torch::set_num_threads(1);
  TempDir dir;
  const std::string text = write_text(dir, "t.txt", repeated(4));
  ASSERT_EQ(train_run(tiny_config(text, 2), quiet_run(dir / "run")).status, TrainResult::Status::Completed);
  const auto a = sample_text_run(dir / "run", {"And God", 60, 0.8, 5});
  const auto b = sample_text_run(dir / "run", {"And God", 60, 0.8, 5});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.rfind("And God", 0), 0u);
  EXPECT_EQ(a.size(), 7u + 60u);  // ASCII text: one byte per character
  EXPECT_NE(a, sample_text_run(dir / "run", {"And God", 60, 0.8, 6}));
  const std::string msg = error_of([&] { sample_text_run(dir / "run", {"And Gödel", 10, 0.8, 0}); });
  EXPECT_NE(msg.find("the priming text has 'ö' (U+00F6) at character 5"), std::string::npos) << msg;
}

TEST(CharLmTask, ARunWithoutCheckpointsSamplesFromItsModelWeights) {
  torch::set_num_threads(1);
  TempDir dir;
  const std::string text = write_text(dir, "t.txt", repeated(4));
  ASSERT_EQ(train_run(tiny_config(text, 2), quiet_run(dir / "run")).status, TrainResult::Status::Completed);
  const auto from_checkpoint = sample_text_run(dir / "run", {"And God", 40, 0.8, 3});
  std::filesystem::remove_all(std::filesystem::path(dir / "run") / "checkpoints");  // as the committed weights/char_lm_kjv is kept
  EXPECT_EQ(sample_text_run(dir / "run", {"And God", 40, 0.8, 3}), from_checkpoint);
  std::filesystem::remove(std::filesystem::path(dir / "run") / "model.safetensors");
  const std::string msg = error_of([&] { sample_text_run(dir / "run", {"And God", 10, 0.8, 0}); });
  EXPECT_NE(msg.find("has neither a checkpoint nor model.safetensors"), std::string::npos) << msg;
}

TEST(CharLmTask, SequenceLongerThanTheTextIsAnError) {
  TempDir dir;
  const std::string text = write_text(dir, "short.txt", kVerse);  // 195 characters, 175 in train
  Config cfg = tiny_config(text, 2);
  cfg.set("data.seq_len", "100");
  const std::string msg = error_of([&] { train_run(cfg, quiet_run(dir / "run")); });
  EXPECT_NE(msg.find("sequence length 100 x 8 parallel streams needs at least 801 characters"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("lower data.seq_len or data.batch_size"), std::string::npos) << msg;
}
