#include "axtrain/core/allocator.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ax {

bool keep_freed_memory() {
#if defined(__GLIBC__)
  // 32 MiB is glibc's ceiling for M_MMAP_THRESHOLD on 64-bit systems (HEAP_MAX_SIZE / 2).
  const bool a = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool b = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return a && b;
#else
  return false;
#endif
}

}  // namespace ax
