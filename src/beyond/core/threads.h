#pragma once
/// Thread count and BLAS checks made at start-up by the CLI.
#include <string>

namespace beyond {

/// Sets LibTorch's intra-op thread count; n <= 0 means one per core. Returns the count in force.
int configure_threads(int n);

/// Path of the BLAS library this process loaded (from /proc/self/maps), or "" if none found.
std::string loaded_blas_library();

/// True when the loaded BLAS is Debian's slow reference implementation.
bool on_reference_blas();

/// Logs a warning with the fix when on the reference BLAS. Called once by the CLI.
void warn_if_reference_blas();

}  // namespace beyond
