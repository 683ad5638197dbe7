#include "beyond/data/text/vocabulary.h"

#include <torch/serialize/input-archive.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "beyond/core/error.h"
#include "beyond/data/text/utf8.h"

namespace beyond::data {

VocabKind parse_vocab_kind(const std::string& name) {
  if (name == "bytes") return VocabKind::Bytes;
  if (name == "codepoints") return VocabKind::Codepoints;
  throw UsageError(str("unknown vocabulary '", name, "'; use bytes or codepoints (data.vocab, --vocab)"));
}

std::string to_string(VocabKind kind) { return kind == VocabKind::Bytes ? "bytes" : "codepoints"; }

std::vector<int32_t> text_symbols(const std::string& bytes, VocabKind kind, const std::string& source) {
  if (kind == VocabKind::Codepoints) return decode_utf8(bytes, source);
  std::vector<int32_t> out(bytes.size());
  std::transform(bytes.begin(), bytes.end(), out.begin(), [](char c) { return static_cast<uint8_t>(c); });
  return out;
}

Vocabulary::Vocabulary(VocabKind kind, std::vector<int32_t> symbols) : kind_(kind), symbols_(std::move(symbols)) {
  std::sort(symbols_.begin(), symbols_.end());
  symbols_.erase(std::unique(symbols_.begin(), symbols_.end()), symbols_.end());
}

Vocabulary Vocabulary::of(VocabKind kind, const std::vector<int32_t>& text) {
  std::vector<bool> seen;
  for (int32_t s : text) {
    if (static_cast<size_t>(s) >= seen.size()) seen.resize(static_cast<size_t>(s) + 1, false);
    seen[static_cast<size_t>(s)] = true;
  }
  std::vector<int32_t> symbols;
  for (size_t s = 0; s < seen.size(); ++s)
    if (seen[s]) symbols.push_back(static_cast<int32_t>(s));
  return Vocabulary(kind, std::move(symbols));
}

int64_t Vocabulary::id(int32_t symbol) const {
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), symbol);
  return it != symbols_.end() && *it == symbol ? it - symbols_.begin() : -1;
}

torch::Tensor Vocabulary::encode(const std::vector<int32_t>& text, const std::string& what) const {
  // A table lookup: corpora have millions of symbols, and a binary search each would dominate loading.
  std::vector<int64_t> table(symbols_.empty() ? 0 : static_cast<size_t>(symbols_.back()) + 1, -1);
  for (size_t i = 0; i < symbols_.size(); ++i) table[static_cast<size_t>(symbols_[i])] = static_cast<int64_t>(i);
  auto ids = torch::empty({static_cast<int64_t>(text.size())}, torch::kInt64);
  auto* out = ids.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) {
    const auto s = static_cast<size_t>(text[i]);
    const int64_t id = s < table.size() ? table[s] : -1;
    BEYOND_CHECK(id >= 0, what, " has ", describe(text[i]), " at ",
                 kind_ == VocabKind::Bytes ? "byte " : "character ", i,
                 ", which is not in the model's vocabulary of ", size(), " ", to_string(kind_),
                 "; use only characters of the training text");
    out[i] = id;
  }
  return ids;
}

std::string Vocabulary::decode(const torch::Tensor& ids) const {
  auto flat = ids.to(torch::kInt64).contiguous().view(-1);
  const auto* p = flat.data_ptr<int64_t>();
  std::string out;
  for (int64_t i = 0; i < flat.numel(); ++i) {
    BEYOND_CHECK(p[i] >= 0 && p[i] < size(), "id ", p[i], " is outside the vocabulary of ", size(), " symbols");
    const int32_t s = symbols_[static_cast<size_t>(p[i])];
    if (kind_ == VocabKind::Bytes)
      out += static_cast<char>(s);
    else
      append_utf8(s, out);
  }
  return out;
}

std::string Vocabulary::describe(int32_t symbol) const {
  char buf[32];
  if (kind_ == VocabKind::Bytes) {
    std::snprintf(buf, sizeof(buf), "byte 0x%02X", static_cast<unsigned>(symbol));
    return buf;
  }
  std::snprintf(buf, sizeof(buf), " (U+%04X)", static_cast<unsigned>(symbol));
  std::string shown;
  if (symbol == '\n')
    shown = "\\n";
  else if (symbol == '\t')
    shown = "\\t";
  else if (symbol >= 0x20 && symbol != 0x7F)
    append_utf8(symbol, shown);
  return shown.empty() ? std::string(buf + 1) : "'" + shown + "'" + buf;
}

VocabularyModuleImpl::VocabularyModuleImpl(const Vocabulary& vocabulary) : vocabulary_(vocabulary) {
  std::vector<int64_t> symbols(vocabulary.symbols().begin(), vocabulary.symbols().end());
  register_buffer("symbols", torch::tensor(symbols, torch::kInt64));
  register_buffer("kind", torch::tensor({vocabulary.kind() == VocabKind::Bytes ? int64_t{0} : int64_t{1}}));
}

Vocabulary vocabulary_from_tensors(const torch::Tensor& symbols, const torch::Tensor& kind) {
  auto s = symbols.to(torch::kInt64).contiguous();
  std::vector<int32_t> v(static_cast<size_t>(s.numel()));
  for (int64_t i = 0; i < s.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<int32_t>(s[i].item<int64_t>());
  return Vocabulary(kind.item<int64_t>() == 0 ? VocabKind::Bytes : VocabKind::Codepoints, std::move(v));
}

void VocabularyModuleImpl::load(torch::serialize::InputArchive& archive) {
  torch::Tensor symbols, kind;
  archive.read("symbols", symbols, /*is_buffer=*/true);
  archive.read("kind", kind, /*is_buffer=*/true);
  const std::string diff = vocabulary_difference(vocabulary_from_tensors(symbols, kind), vocabulary_);
  BEYOND_CHECK(diff.empty(), "vocabulary mismatch between the checkpoint and the text: ", diff,
               ". Pass the text the run was trained on (same --text / --data and --vocab), or train a new run "
               "(another --out)");
}

std::string vocabulary_difference(const Vocabulary& saved, const Vocabulary& current) {
  if (saved == current) return "";
  if (saved.kind() != current.kind())
    return str("the checkpoint's vocabulary is ", to_string(saved.kind()), ", the text's ", to_string(current.kind()));
  auto listed = [](const Vocabulary& a, const Vocabulary& b) {
    std::string out;
    int shown = 0, missing = 0;
    for (int32_t s : a.symbols()) {
      if (b.id(s) >= 0) continue;
      ++missing;
      if (shown < 8) out += (shown++ ? ", " : "") + a.describe(s);
    }
    if (missing > shown) out += str(" and ", missing - shown, " more");
    return out.empty() ? std::string("none") : out;
  };
  return str("the checkpoint has ", saved.size(), " symbols, the text ", current.size(), "; only in the checkpoint: ",
             listed(saved, current), "; only in the text: ", listed(current, saved));
}

}  // namespace beyond::data
