// The CPU allocator: blocks under 4 KiB from malloc, larger ones 64-byte aligned; blocks of
// 64 KiB and more are cached for reuse.
//
// Note [CPU block cache]: a training step frees and reallocates the same large buffers every
// iteration. Returning them to the system means a fresh mmap and a page fault per 4 KiB page
// on first touch, which costs as much as the arithmetic for a memory-bound op. Large blocks are
// therefore kept in a size-keyed cache (bounded by kMaxCachedBytes) and handed out again for
// requests of the same rounded size. Blocks of 2 MiB or more are aligned to 2 MiB and marked for
// transparent huge pages. The cache starts at 64 KiB, below glibc's mmap threshold (128 KiB at
// first): whether glibc reuses a freed block of 64-256 KiB or maps fresh pages depends on its
// heap's state, and the profiler's event records were enough to tip it. LeNet-5's second max-pool
// then page-faulted on its 100 and 200 KiB outputs every step and took three times as long under
// the profiler as without it (docs/BENCHMARKS.md).
#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "axon/error.h"
#include "axon/storage.h"

namespace axon {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kSmallBlock = 4096;
constexpr size_t kLargeBlock = 64 * 1024;
constexpr size_t kHugePage = 2 * 1024 * 1024;
constexpr size_t kLargeGranularity = 64 * 1024;
constexpr size_t kMaxCachedBytes = size_t{2} << 30;

size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

class CpuAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, Device(kCPU));
    if (nbytes < kSmallBlock) {
      // Plain malloc (16-byte aligned) stays on glibc's fast per-thread cache; aligned_alloc
      // splits chunks and cost a third of an 8-element add.
      void* p = std::malloc(nbytes);
      check(p, nbytes);
      return DataPtr(p, nullptr, &free_small, Device(kCPU));
    }
    if (nbytes < kLargeBlock) {
      void* p = std::aligned_alloc(kAlignment, round_up(nbytes, kAlignment));
      check(p, nbytes);
      return DataPtr(p, nullptr, &free_small, Device(kCPU));
    }
    size_t size = round_up(nbytes, kLargeGranularity);
    if (void* p = take_cached(size)) return large_ptr(p, size);
    size_t alignment = size >= kHugePage ? kHugePage : kAlignment;
    void* p = std::aligned_alloc(alignment, round_up(size, alignment));
    check(p, nbytes);
    if (size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);
    return large_ptr(p, size);
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, p] : cache_) std::free(p);
    cache_.clear();
    cached_bytes_ = 0;
  }

 private:
  static void check(void* p, size_t nbytes) {
    AXON_CHECK(p != nullptr, "CPU allocator: out of memory allocating {} bytes", nbytes);
  }
  static void free_small(void* /*context*/, void* p) { std::free(p); }
  static void free_large(void* context, void* p);

  DataPtr large_ptr(void* p, size_t size) {
    return DataPtr(p, reinterpret_cast<void*>(size), &free_large, Device(kCPU));
  }

  void* take_cached(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(size);
    if (it == cache_.end()) return nullptr;
    void* p = it->second;
    cache_.erase(it);
    cached_bytes_ -= size;
    return p;
  }

  void give_back(void* p, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_bytes_ + size <= kMaxCachedBytes) {
        cache_.emplace(size, p);
        cached_bytes_ += size;
        return;
      }
    }
    std::free(p);
  }

  std::mutex mutex_;
  std::multimap<size_t, void*> cache_;
  size_t cached_bytes_ = 0;
};

CpuAllocator& cpu_allocator() {
  // Never destroyed: tensors in other static objects may be freed after this would be.
  static auto* allocator = new CpuAllocator();
  return *allocator;
}

void CpuAllocator::free_large(void* context, void* p) {
  cpu_allocator().give_back(p, reinterpret_cast<size_t>(context));
}

}  // namespace

namespace detail {
Allocator* cpu_allocator_instance() { return &cpu_allocator(); }
}  // namespace detail

namespace cpu {
size_t cached_bytes() { return cpu_allocator().cached_bytes(); }
void empty_cache() { cpu_allocator().empty_cache(); }
}  // namespace cpu

}  // namespace axon
