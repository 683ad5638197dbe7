#pragma once
/// Thread count and BLAS checks made at start-up by the CLI.
#include <string>

namespace beyond {

/// Sets LibTorch's intra-op thread count; n <= 0 means one per core. Returns the count in force.
/// Also keeps OpenBLAS to one thread per call: LibTorch already splits work over its own OpenMP
/// threads, and a second pool of OpenBLAS threads on the same cores oversubscribes them (a DCGAN
/// step on 2 cores ran 2.6x slower that way; docs/results.md).
int configure_threads(int n);

/// For helper threads that call LibTorch (a DataLoader's prefetch thread): ops on this thread run
/// single-threaded instead of starting a second OpenMP team that competes with the training thread.
void use_one_intra_op_thread_on_this_thread();

/// Path of the BLAS library this process loaded (from /proc/self/maps), or "" if none found.
std::string loaded_blas_library();

/// True when the pthread build of OpenBLAS is loaded (as libblas, liblapack or libopenblas).
bool pthread_openblas_loaded();

/// True when the loaded BLAS is Debian's slow reference implementation.
bool on_reference_blas();

/// Logs a warning with the fix when on the reference BLAS (a note on the pthread OpenBLAS). Called once by the CLI.
void warn_if_reference_blas();

}  // namespace beyond
