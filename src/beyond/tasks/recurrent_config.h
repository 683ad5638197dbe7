#pragma once
/// Config settings shared by the recurrent tasks (char_lm, adding, copy).
#include "beyond/engine/config.h"

namespace beyond {

/// model.sequence_kernel: the fused LSTM through beyond's whole-sequence kernel
/// (models/sequence/lstm_sequence.h) rather than at::lstm. false in a run's config.yaml written
/// before the key existed, so such runs still load.
bool sequence_kernel(const Config& cfg);

}  // namespace beyond
