#pragma once
/// Bits per character: the average over predicted symbols of -log2 p(next symbol), the
/// cross-entropy of a character model in bits (natural-log loss / ln 2). With a byte vocabulary
/// it is bits per byte. Accumulated in double over windows, evaluator style:
///
///   BitsPerCharacter bpc;
///   for (...) bpc.process(logits /*[..., V]*/, targets /*[...]*/);
///   double value = bpc.evaluate();
#include <torch/types.h>

namespace beyond::eval {

class BitsPerCharacter {
 public:
  void reset() { bits_ = 0.0, count_ = 0; }
  /// Adds -log2 softmax(logits)[target] over every position. logits [..., V] (any float type),
  /// targets [...] int64 with the same leading shape.
  void process(const torch::Tensor& logits, const torch::Tensor& targets);
  /// Mean bits per symbol so far; Error if nothing was processed.
  double evaluate() const;
  double total_bits() const { return bits_; }
  int64_t count() const { return count_; }

 private:
  double bits_ = 0.0;
  int64_t count_ = 0;
};

}  // namespace beyond::eval
