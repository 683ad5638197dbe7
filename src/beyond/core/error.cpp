#include "beyond/core/error.h"

namespace beyond {

Error::~Error() = default;
UsageError::~UsageError() = default;

}  // namespace beyond
