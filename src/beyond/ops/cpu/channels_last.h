#pragma once
// Channels-last views of an NCHW feature map, one block of channels at a time, for the RoI kernels:
// in channels-last order the taps of a bilinear sample or the cells of a pooling bin are contiguous
// runs of channels, which vectorise.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <memory>

#include "beyond/ops/cpu/simd_loops.h"

namespace beyond::ops::cpu {

/// Channels per block: a multiple of every vector width, and small enough that one transposed block
/// of a large map ([H * W, 64] floats) is reused from the heap between calls. Converting the whole
/// map at once costs more in fresh-page faults than the RoI kernels themselves.
constexpr int64_t kChannelBlock = 64;

/// Calls fn(image, c0, count, base, stride) for every image and every block of up to kChannelBlock
/// channels [c0, c0 + count), where base[cell * stride + c] is channel c0 + c at cell (y * W + x).
/// Each block is gathered into a workspace, whatever the input's layout: the kernels then sweep a
/// compact [H * W, count] block that stays in cache far better than strided rows of all channels.
/// A channels-last map with no more than one block of channels is read in place.
template <typename T, typename Fn>
void for_each_channel_block(const at::Tensor& input, Fn&& fn) {
  const int64_t batch = input.size(0), channels = input.size(1), plane = input.size(2) * input.size(3);
  const bool channels_last = input.is_contiguous(at::MemoryFormat::ChannelsLast);
  if (channels_last && channels <= kChannelBlock) {
    const T* data = input.data_ptr<T>();
    for (int64_t n = 0; n < batch; ++n) fn(n, int64_t{0}, channels, data + n * plane * channels, channels);
    return;
  }
  const auto in = channels_last ? input : input.contiguous();
  const T* data = in.data_ptr<T>();
  std::unique_ptr<T[]> workspace(new T[static_cast<size_t>(plane * std::min(kChannelBlock, channels))]);
  T* ws = workspace.get();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c0 = 0; c0 < channels; c0 += kChannelBlock) {
      const int64_t count = std::min(kChannelBlock, channels - c0);
      if (channels_last) {
        const T* src = data + n * plane * channels + c0;
        at::parallel_for(0, plane, 1024, [&](int64_t begin, int64_t end) {
          for (int64_t cell = begin; cell < end; ++cell)
            std::copy(src + cell * channels, src + cell * channels + count, ws + cell * count);
        });
      } else {
        simd::transpose(data + (n * channels + c0) * plane, count, plane, ws);
      }
      fn(n, c0, count, static_cast<const T*>(ws), count);
    }
}

}  // namespace beyond::ops::cpu
