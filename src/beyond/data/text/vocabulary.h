#pragma once
/// The symbols a character model predicts: Unicode code points (the default: one symbol per
/// character a reader sees, so "é" is one step and bits per character mean what they say) or bytes
/// (any file, valid UTF-8 or not, at most 256 symbols, but a non-ASCII character costs 2-4 steps).
///
/// A vocabulary is the sorted set of the symbols present in a corpus (all of its splits, so that
/// validation and test text never holds an unknown symbol); symbol i has id i. It travels with the
/// model as the buffer "symbols" of a VocabularyModule, so a checkpoint and a weights file say which
/// characters their output rows mean, and loading one against another text's vocabulary fails.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace beyond::data {

enum class VocabKind { Bytes, Codepoints };

/// "bytes" | "codepoints"; UsageError otherwise.
VocabKind parse_vocab_kind(const std::string& name);
std::string to_string(VocabKind kind);

/// Symbols of a file's contents: its bytes, or its code points (validated; the error names the
/// byte offset of the first invalid sequence and `source`).
std::vector<int32_t> text_symbols(const std::string& bytes, VocabKind kind, const std::string& source);

class Vocabulary {
 public:
  Vocabulary() = default;
  /// `symbols` are sorted and made unique.
  Vocabulary(VocabKind kind, std::vector<int32_t> symbols);
  /// The symbols occurring in `text`.
  static Vocabulary of(VocabKind kind, const std::vector<int32_t>& text);

  VocabKind kind() const { return kind_; }
  int64_t size() const { return static_cast<int64_t>(symbols_.size()); }
  const std::vector<int32_t>& symbols() const { return symbols_; }
  /// Id of `symbol`, or -1 if it is not in the vocabulary.
  int64_t id(int32_t symbol) const;

  /// Ids of `text` as an int64 tensor [n]. A symbol outside the vocabulary is an Error that names
  /// `what`, the symbol and its position (0-based, in symbols).
  torch::Tensor encode(const std::vector<int32_t>& text, const std::string& what) const;
  /// The text of `ids` (UTF-8 for code points, raw bytes for bytes).
  std::string decode(const torch::Tensor& ids) const;
  /// A symbol for messages: 'a' (U+0061), '\n' (U+000A), byte 0xC3.
  std::string describe(int32_t symbol) const;

  bool operator==(const Vocabulary& other) const { return kind_ == other.kind_ && symbols_ == other.symbols_; }
  bool operator!=(const Vocabulary& other) const { return !(*this == other); }

 private:
  VocabKind kind_ = VocabKind::Codepoints;
  std::vector<int32_t> symbols_;
};

/// A vocabulary as module state: buffers "symbols" [V] (int64) and "kind" [1] (0 bytes, 1 code
/// points), saved in checkpoints and weights files. Loading state whose vocabulary differs from this
/// one throws an Error that lists the differences, before any weight is touched (a plain shape error
/// on the embedding would not say why).
class VocabularyModuleImpl : public torch::nn::Module {
 public:
  explicit VocabularyModuleImpl(const Vocabulary& vocabulary);
  Vocabulary vocabulary() const { return vocabulary_; }
  void load(torch::serialize::InputArchive& archive) override;

 private:
  Vocabulary vocabulary_;
};
TORCH_MODULE(VocabularyModule);

/// The vocabulary stored in tensors "symbols" and "kind" (as VocabularyModule saves them).
Vocabulary vocabulary_from_tensors(const torch::Tensor& symbols, const torch::Tensor& kind);

/// "" if equal; otherwise what differs ("the checkpoint has 80 symbols, the text 75; only in the
/// checkpoint: 'é' (U+00E9), ...").
std::string vocabulary_difference(const Vocabulary& saved, const Vocabulary& current);

}  // namespace beyond::data
