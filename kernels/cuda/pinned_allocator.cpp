// The pinned (page-locked) host allocator behind Tensor::pin_memory().
//
// cudaHostAlloc is slower than cudaMalloc (it maps the pages for the device), so freed blocks are
// cached by size (rounded up to a power of two). A block that a non_blocking copy still reads or
// writes carries an event per such copy (record_pinned_use) and is not handed out again before
// those events complete: its tensor may be freed while the copy is in flight.
#include <bit>
#include <map>
#include <mutex>
#include <vector>

#include "axon/cuda.h"
#include "core/cuda_hooks.h"
#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

struct PinnedBlock {
  void* ptr;
  size_t size;
  std::vector<cudaEvent_t> events;  // copies still using the block
};

class PinnedAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    check_available("pin_memory");
    check_not_capturing("pin_memory", "allocating page-locked memory cannot be captured");
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, Device(kCPU));
    size_t size = std::bit_ceil(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    PinnedBlock* block = take_free(size);
    if (block == nullptr) {
      void* ptr = nullptr;
      cudaError_t status = cudaHostAlloc(&ptr, size, cudaHostAllocDefault);
      if (status == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        release_free_locked();
        status = cudaHostAlloc(&ptr, size, cudaHostAllocDefault);
      }
      AXON_CHECK(status != cudaErrorMemoryAllocation,
                 "pin_memory: out of page-locked host memory allocating {} bytes", nbytes);
      AXON_CUDA_CHECK(status);
      block = new PinnedBlock{ptr, size, {}};
      blocks_.emplace(ptr, block);
    }
    return DataPtr(block->ptr, block, &free_block, Device(kCPU));
  }

  bool contains(const void* data) {
    std::lock_guard<std::mutex> lock(mutex_);
    return find_locked(data) != nullptr;
  }

  void record_use(const void* data, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    PinnedBlock* block = find_locked(data);
    if (block == nullptr) return;
    cudaEvent_t event = nullptr;
    AXON_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    AXON_CUDA_CHECK(cudaEventRecord(event, stream));
    block->events.push_back(event);
  }

  void release_free() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_free_locked();
  }

 private:
  static void free_block(void* context, void* data);

  PinnedBlock* find_locked(const void* data) {
    auto it = blocks_.upper_bound(data);
    if (it == blocks_.begin()) return nullptr;
    --it;
    const auto* begin = static_cast<const char*>(it->first);
    const auto* p = static_cast<const char*>(data);
    return p < begin + it->second->size ? it->second : nullptr;
  }

  // Destroys the block's completed events; true when none is pending.
  static bool events_done(PinnedBlock* block) {
    while (!block->events.empty()) {
      cudaError_t status = cudaEventQuery(block->events.back());
      if (status == cudaErrorNotReady) {
        (void)cudaGetLastError();
        return false;
      }
      AXON_CUDA_CHECK(status);
      AXON_CUDA_CHECK(cudaEventDestroy(block->events.back()));
      block->events.pop_back();
    }
    return true;
  }

  PinnedBlock* take_free(size_t size) {
    auto [first, last] = free_.equal_range(size);
    for (auto it = first; it != last; ++it) {
      PinnedBlock* block = it->second;
      if (!events_done(block)) continue;
      free_.erase(it);
      return block;
    }
    return nullptr;
  }

  void release_free_locked() {
    for (auto it = free_.begin(); it != free_.end();) {
      PinnedBlock* block = it->second;
      if (!events_done(block)) {
        ++it;
        continue;
      }
      AXON_CUDA_CHECK(cudaFreeHost(block->ptr));
      blocks_.erase(block->ptr);
      delete block;
      it = free_.erase(it);
    }
  }

  std::mutex mutex_;
  std::map<const void*, PinnedBlock*> blocks_;  // every block, by address
  std::multimap<size_t, PinnedBlock*> free_;    // blocks no tensor uses, by size
};

PinnedAllocator& pinned_allocator() {
  // Never destroyed: tensors in other static objects may be freed after this would be.
  static auto* allocator = new PinnedAllocator();
  return *allocator;
}

void PinnedAllocator::free_block(void* context, void* /*data*/) {
  auto* block = static_cast<PinnedBlock*>(context);
  PinnedAllocator& allocator = pinned_allocator();
  std::lock_guard<std::mutex> lock(allocator.mutex_);
  allocator.free_.emplace(block->size, block);
}

}  // namespace

void record_pinned_use(const void* host_data, cudaStream_t stream) {
  pinned_allocator().record_use(host_data, stream);
}

void empty_pinned_cache() { pinned_allocator().release_free(); }

}  // namespace axon::cuda_backend

namespace axon::detail {

Allocator* pinned_host_allocator() { return &cuda_backend::pinned_allocator(); }
bool is_pinned(const void* data) { return cuda_backend::pinned_allocator().contains(data); }

}  // namespace axon::detail
