#pragma once
/// Batches for truncated backpropagation through time. The id sequence is cut into N parallel
/// streams (stream s is the s-th of N equal consecutive pieces), and batch w holds window w of every
/// stream: T consecutive inputs and the T next symbols as targets. Window w + 1 continues exactly
/// where window w ended in every stream, so the hidden state at the end of one batch is the right
/// initial state for the next (carried, detached at the boundary). A stream's last
/// (L mod T) symbols are not used for training; evaluation walks every window including a shorter
/// last one (see `window`).
///
///   BpttBatches batches(ids, /*streams=*/64, /*seq_len=*/100, "train split");
///   auto [input, target] = batches.window(w % batches.windows());   // [T, N] each
#include <torch/types.h>

#include <string>

namespace beyond::data {

struct BpttWindow {
  torch::Tensor input;   ///< [T, N] int64
  torch::Tensor target;  ///< [T, N] int64, the symbol after each input
};

class BpttBatches {
 public:
  /// `what` names the sequence in errors. Requires streams * seq_len + 1 <= ids.numel() (one full
  /// window per stream); otherwise an Error says how long the text is and what to lower.
  BpttBatches(torch::Tensor ids, int64_t streams, int64_t seq_len, const std::string& what);

  /// Full windows of seq_len in each stream (the training epoch length).
  int64_t windows() const { return stream_length_ / seq_len_; }
  /// Windows including a last partial one (evaluation scores every symbol of every stream).
  int64_t windows_with_tail() const { return (stream_length_ + seq_len_ - 1) / seq_len_; }
  /// Window w (0 <= w < windows_with_tail()); the last may be shorter than seq_len.
  BpttWindow window(int64_t w) const;
  int64_t streams() const { return inputs_.size(0); }
  int64_t seq_len() const { return seq_len_; }
  /// Symbols predicted per stream (targets): windows_with_tail covers all of them.
  int64_t stream_length() const { return stream_length_; }

 private:
  torch::Tensor inputs_, targets_;  // [N, L]
  int64_t seq_len_ = 0, stream_length_ = 0;
};

}  // namespace beyond::data
