#include "beyond/core/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace beyond {

void keep_freed_memory_in_process() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

}  // namespace beyond
