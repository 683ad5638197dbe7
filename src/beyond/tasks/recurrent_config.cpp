#include "beyond/tasks/recurrent_config.h"

namespace beyond {

bool sequence_kernel(const Config& cfg) {
  return cfg.has("model.sequence_kernel") && cfg.get_bool("model.sequence_kernel");
}

}  // namespace beyond
