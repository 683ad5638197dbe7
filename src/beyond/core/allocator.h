#pragma once
/// Process-wide settings of glibc's malloc for training loops.
///
/// By default glibc serves blocks above a dynamic threshold (128 KB up to 32 MB) with mmap, unmaps
/// them on free, and returns a free heap top above the trim threshold to the kernel. A training step
/// allocates and frees the same tensors every iteration, so it paid for fresh pages (a page fault and
/// zeroing per 4 KB) again on every step: on the character LM (1-layer 256-unit LSTM, batch 64 x 100)
/// 12% of a fused-LSTM step, and most of a step of our own cells (bench/char_lm_throughput.py). Keeping
/// freed memory in the process (up to the 512 MB trim threshold) removes that cost.
namespace beyond {

/// Raises the mmap threshold to 256 MB, the trim threshold to 512 MB and the top pad to 64 MB. Call
/// once at start-up (the CLI does); does nothing with another C library.
void keep_freed_memory_in_process();

}  // namespace beyond
