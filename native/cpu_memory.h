// The process's CPU memory policy for LibTorch tensors: a cache of large blocks.
//
// A forward pass allocates and frees the same sequence of activation buffers every time. glibc
// serves buffers above its mmap threshold (at most 32 MiB) with mmap and returns them with
// munmap, so every forward page-faults its whole working set in again: measured up to 4.6× at
// 1024² (bench/README.md, "Runtime levers"). A Node addon cannot count on a preloaded malloc, so
// the addon installs its own LibTorch CPU allocator that keeps freed large blocks for reuse.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lwganet {

struct CpuCacheStats {
  bool enabled = false;
  std::size_t limitBytes = 0;   // most free bytes the cache keeps
  std::size_t cachedBytes = 0;  // free bytes held for reuse now
  std::size_t inUseBytes = 0;   // bytes of cached-size blocks handed out and not yet freed
  std::uint64_t hits = 0;       // allocations served from the cache
  std::uint64_t misses = 0;     // allocations that went to the system
};

// Installs the caching allocator once per process (later calls do nothing). Settings come from
// the environment, read at the first call: LWGANET_CPU_CACHE=0 leaves LibTorch's default
// allocator in place; LWGANET_CPU_CACHE_MB caps the free bytes kept (default 2048).
void installCpuMemoryPolicy();

CpuCacheStats cpuCacheStats();

// Returns every free cached block to the system; blocks in use are untouched.
void releaseCpuCache();

}  // namespace lwganet
