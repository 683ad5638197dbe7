#pragma once
/// What `beyond sample DIR --prime ... --temperature ...` needs from a task that generates text
/// (the character language model); image tasks draw grids through Task::sample instead.
#include <cstdint>
#include <string>

namespace beyond {

struct TextSampleOptions {
  std::string prime;         ///< text the model reads first ("" = start after a newline)
  int64_t n = 500;           ///< symbols to draw
  double temperature = 0.8;  ///< > 0; softmax(logits / temperature)
  uint64_t seed = 0;         ///< same seed, same text
};

class TextSampler {
 public:
  virtual ~TextSampler() = default;
  /// The priming text followed by n drawn symbols. A priming character outside the model's
  /// vocabulary is an Error naming it and its position.
  virtual std::string sample_text(const TextSampleOptions& options) = 0;
};

}  // namespace beyond
