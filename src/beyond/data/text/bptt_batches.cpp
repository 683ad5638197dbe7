#include "beyond/data/text/bptt_batches.h"

#include <torch/torch.h>

#include "beyond/core/error.h"

namespace beyond::data {

BpttBatches::BpttBatches(torch::Tensor ids, int64_t streams, int64_t seq_len, const std::string& what)
    : seq_len_(seq_len) {
  BEYOND_CHECK(ids.dim() == 1 && ids.scalar_type() == torch::kInt64, what, ": expected a 1-D int64 id tensor, got ",
               ids.sizes(), " ", ids.scalar_type());
  BEYOND_CHECK_USAGE(streams > 0 && seq_len > 0, what, ": batch size (", streams, ") and sequence length (", seq_len,
                     ") must be positive");
  const int64_t n = ids.numel();
  BEYOND_CHECK(n >= streams * seq_len + 1, "sequence length ", seq_len, " x ", streams,
               " parallel streams needs at least ", streams * seq_len + 1, " characters, but ", what, " has ", n,
               ": lower data.seq_len or data.batch_size, or use a longer text");
  stream_length_ = (n - 1) / streams;
  const int64_t used = streams * stream_length_;
  inputs_ = ids.narrow(0, 0, used).view({streams, stream_length_});
  targets_ = ids.narrow(0, 1, used).view({streams, stream_length_});
}

BpttWindow BpttBatches::window(int64_t w) const {
  BEYOND_CHECK(w >= 0 && w < windows_with_tail(), "window ", w, " out of range [0, ", windows_with_tail(), ")");
  const int64_t start = w * seq_len_;
  const int64_t len = std::min(seq_len_, stream_length_ - start);
  return {inputs_.narrow(1, start, len).t().contiguous(), targets_.narrow(1, start, len).t().contiguous()};
}

}  // namespace beyond::data
