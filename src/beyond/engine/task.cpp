#include "beyond/engine/task.h"

#include "beyond/core/error.h"

namespace beyond {

void Task::sample(int64_t n, const std::string& path) {
  throw UsageError("this task draws no samples (sampling works for ae, dae, vae and gan runs)");
}

}  // namespace beyond
