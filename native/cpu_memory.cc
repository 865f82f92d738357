#include "cpu_memory.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lwganet {
namespace {

// Below this, glibc serves blocks from its heap without mmap: nothing to gain.
constexpr std::size_t kMinCachedBytes = std::size_t{1} << 20;
constexpr std::size_t kPageBytes = 4096;
constexpr std::size_t kAlignment = 64;  // LibTorch's own CPU alignment (c10::gAlignment)
constexpr std::size_t kDefaultLimitMb = 2048;
constexpr std::size_t kWorkingSetFloorBytes = std::size_t{64} << 20;

std::size_t envSize(const char* name, std::size_t fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  char* end = nullptr;
  unsigned long long parsed = std::strtoull(value, &end, 10);
  return (end != nullptr && *end == '\0') ? static_cast<std::size_t>(parsed) : fallback;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(std::size_t limitBytes) : limit_(limitBytes) {}

  // LibTorch 2.3 made allocate() non-const and added copy_data() (Debian's 1.13 has neither).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(std::size_t bytes) override { return allocateBlock(bytes); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(std::size_t bytes) const override {
    return const_cast<CachingCpuAllocator*>(this)->allocateBlock(bytes);
  }
#endif

  c10::DataPtr allocateBlock(std::size_t bytes) {
    if (bytes < kMinCachedBytes) {
      // Small blocks: straight to malloc and back. (oneDNN frees what it got from raw_allocate()
      // through raw_deleter(), i.e. Release, whatever the size: Release frees unknown blocks.)
      void* ptr = systemAllocate(bytes == 0 ? 1 : bytes);
      TORCH_CHECK(ptr != nullptr, "CPU out of memory: could not allocate ", bytes, " bytes");
      return {ptr, ptr, &std::free, c10::Device(c10::DeviceType::CPU)};
    }
    std::size_t size = (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
    void* ptr = take(size);
    if (ptr == nullptr) {
      ptr = systemAllocate(size);
      if (ptr == nullptr) {
        releaseAll();  // memory held for reuse may be what is missing
        ptr = systemAllocate(size);
      }
      TORCH_CHECK(ptr != nullptr, "CPU out of memory: could not allocate ", bytes, " bytes");
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[ptr] = size;
      inUse_ += size;
      peakInUse_ = std::max(peakInUse_, inUse_);
      ++misses_;
    }
    return {ptr, ptr, &CachingCpuAllocator::Release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::Release; }

  CpuCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {true, limit_, cached_, inUse_, hits_, misses_};
  }

  void releaseAll() {
    std::multimap<std::size_t, void*> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      drop.swap(free_);
      for (auto& [size, ptr] : drop) sizes_.erase(ptr);
      cached_ = 0;
    }
    for (auto& [size, ptr] : drop) std::free(ptr);
  }

  static CachingCpuAllocator* instance;

 private:
  static void Release(void* ptr) { instance->give(ptr); }

  static void* systemAllocate(std::size_t size) {
    void* ptr = nullptr;
    return posix_memalign(&ptr, kAlignment, size) == 0 ? ptr : nullptr;
  }

  // A free block of at least `size` and at most 1/8 larger (the same forward asks for the same
  // sizes again; the slack lets tiles of nearby sizes share blocks without wasting much).
  void* take(std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > size + size / 8) return nullptr;
    void* ptr = it->second;
    cached_ -= it->first;
    inUse_ += it->first;
    peakInUse_ = std::max(peakInUse_, inUse_);
    free_.erase(it);
    ++hits_;
    return ptr;
  }

  void give(void* ptr) {
    std::multimap<std::size_t, void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto known = sizes_.find(ptr);
      if (known == sizes_.end()) {
        evicted.emplace(0, ptr);  // a small block (see allocate): never cached
      } else {
        inUse_ -= known->second;
        free_.emplace(known->second, ptr);
        cached_ += known->second;
      }
      // Over the limit: give back the largest free blocks first (fewest calls for the most bytes).
      // The limit is also bounded by the working set: never more free memory than the most that
      // was ever in use at once (one forward's blocks), whatever LWGANET_CPU_CACHE_MB allows.
      const std::size_t limit = std::min(limit_, std::max(kWorkingSetFloorBytes, peakInUse_));
      while (cached_ > limit && !free_.empty()) {
        auto largest = std::prev(free_.end());
        cached_ -= largest->first;
        sizes_.erase(largest->second);
        evicted.insert(*largest);
        free_.erase(largest);
      }
    }
    for (auto& [size, block] : evicted) std::free(block);
  }

  const std::size_t limit_;
  std::mutex mutex_;
  std::unordered_map<void*, std::size_t> sizes_;  // every block this allocator made, free or not
  std::multimap<std::size_t, void*> free_;        // free blocks by size
  std::size_t cached_ = 0;
  std::size_t inUse_ = 0;
  std::size_t peakInUse_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

CachingCpuAllocator* CachingCpuAllocator::instance = nullptr;

}  // namespace

void installCpuMemoryPolicy() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* enabled = std::getenv("LWGANET_CPU_CACHE");
    if (enabled != nullptr && std::string(enabled) == "0") return;
    std::size_t limitMb = envSize("LWGANET_CPU_CACHE_MB", kDefaultLimitMb);
    // Never destroyed: tensors made through it may be freed during process exit, after statics.
    CachingCpuAllocator::instance = new CachingCpuAllocator(limitMb << 20);
    // Priority above the default allocator's 0, so LibTorch's CPU tensors come from here.
    c10::SetCPUAllocator(CachingCpuAllocator::instance, 1);
  });
}

CpuCacheStats cpuCacheStats() {
  return CachingCpuAllocator::instance ? CachingCpuAllocator::instance->stats() : CpuCacheStats{};
}

void releaseCpuCache() {
  if (CachingCpuAllocator::instance) CachingCpuAllocator::instance->releaseAll();
}

}  // namespace lwganet
