#pragma once
/// Character language model on a text corpus (task `char_lm`; `beyond train char-lm --text FILE` or
/// `--data DIR` of `beyond data kjv`). Training is truncated BPTT: the training split is cut into
/// data.batch_size parallel streams, each step reads the next data.seq_len window of every stream,
/// and the hidden state at the end of a window is carried (detached) into the next; it is reset to
/// zeros at the start of each epoch. The loss is the mean cross-entropy per character (nats);
/// evaluation reports bits per character on the validation and test splits (eval.streams
/// parallel streams, every character scored, state carried across windows from zeros).
///
/// Exact resume: the carried state is module state (module "carry", buffers h and c), so each
/// checkpoint holds it and a resumed run continues with the very state the stopped one had (tested
/// bit for bit). It is also in model.safetensors (as carry.h / carry.c; small, and ignored by
/// sampling).
///
/// The vocabulary (module "vocabulary") is saved with the model; resuming or sampling against a text
/// whose vocabulary differs fails with a message listing the differences.
#include "beyond/data/text/bptt_batches.h"
#include "beyond/data/text/text_corpus.h"
#include "beyond/engine/task.h"
#include "beyond/models/sequence/char_lm.h"
#include "beyond/tasks/text_sampler.h"

#include <memory>
#include <optional>

namespace beyond {

/// The carried hidden state of truncated BPTT, as buffers so that checkpoints hold it.
class BpttCarryImpl : public torch::nn::Module {
 public:
  /// h (and c for an LSTM) of shape [layers, streams, hidden], zeros.
  BpttCarryImpl(int64_t layers, int64_t streams, int64_t hidden, bool has_cell);
  models::RecurrentState state() const;
  void store(const models::RecurrentState& state);
  void reset();

 private:
  torch::Tensor h_, c_;
};
TORCH_MODULE(BpttCarry);

class CharLmTask : public Task, public TextSampler {
 public:
  explicit CharLmTask(const Config& cfg);
  NamedModules modules() override;
  std::vector<OptimizedPart> parts() override;
  int64_t steps_per_epoch() const override;
  void seek(int64_t step) override;
  Metrics train_step(StepContext& ctx) override;
  Metrics evaluate() override;
  /// images/samples.txt: samples at eval.temperatures after eval.prime.
  std::vector<std::string> visualize(const std::string& dir) override;
  /// Writes n characters at temperature 1 (after eval.prime) as a text file.
  void sample(int64_t n, const std::string& path) override;
  std::map<std::string, std::string> weights_metadata() override;
  std::string sample_text(const TextSampleOptions& options) override;

  /// Bits per character of `ids` (one split) with `streams` parallel streams and windows of
  /// `seq_len`; every symbol after the first of each stream is scored.
  double bits_per_character(const torch::Tensor& ids, int64_t streams, int64_t seq_len);

  const data::Vocabulary& vocabulary() const { return corpus_.vocabulary; }
  models::CharLM model() const { return model_; }
  /// eval.prime, or "" (with a warning) if the text lacks one of its characters.
  std::string usable_prime() const;

 private:

  data::TextCorpus corpus_;
  std::unique_ptr<data::BpttBatches> batches_;
  models::CharLM model_{nullptr};
  data::VocabularyModule vocabulary_module_{nullptr};
  BpttCarry carry_{nullptr};
  int64_t eval_streams_ = 8, eval_seq_len_ = 1000, sample_chars_ = 500;
  std::vector<double> temperatures_;
  std::string eval_prime_;
};

}  // namespace beyond
