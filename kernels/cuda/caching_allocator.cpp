// The caching device allocator.
//
// Note [CUDA caching allocator]: cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds, so a training step must not call them. Freed blocks stay with the allocator, in
// a pool per device keyed by (stream, size), and are handed out again to a request of the same
// size class on the same stream. Reuse on the stream the block was last used on needs no
// synchronisation: work queued later on that stream runs after the work that used the block.
// (A tensor used on another stream would need that stream recorded first; there is one stream
// per device so far.) Sizes round to 512 bytes below 1 MiB and to 2 MiB above, and a request
// takes the smallest cached block of its size class or at most twice its size. When cudaMalloc
// fails, the cached blocks are released and the allocation is tried once more; then the error
// says how much was asked for and what the allocator holds.
#include "kernels/cuda/caching_allocator.h"

#include <array>
#include <mutex>
#include <set>
#include <tuple>

#include "axon/cuda.h"
#include "axon/storage.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

constexpr size_t kSmallSize = size_t{1} << 20;
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t{2} << 20;
constexpr int kMaxDevices = 128;

size_t round_size(size_t nbytes) {
  size_t unit = nbytes <= kSmallSize ? kSmallRound : kLargeRound;
  return (nbytes + unit - 1) / unit * unit;
}

std::string format_bytes(size_t n) {
  constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(n);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} bytes", n) : fmt::format("{:.2f} {}", value, kUnits[unit]);
}

struct Block {
  int device;
  cudaStream_t stream;
  size_t size;
  void* ptr;
};

struct BlockOrder {
  bool operator()(const Block* a, const Block* b) const {
    return std::tie(a->stream, a->size, a->ptr) < std::tie(b->stream, b->size, b->ptr);
  }
};

struct DeviceStats {
  size_t allocated = 0;
  size_t peak = 0;
  size_t reserved = 0;
};

class DevicePool {
 public:
  Block* take(int device, cudaStream_t stream, size_t nbytes) {
    size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    Block key{device, stream, size, nullptr};
    auto it = free_.lower_bound(&key);
    Block* block = nullptr;
    if (it != free_.end() && (*it)->stream == stream && (*it)->size <= 2 * size) {
      block = *it;
      free_.erase(it);
    } else {
      block = new Block{device, stream, size, malloc_with_retry(device, size, nbytes)};
      stats_.reserved += size;
    }
    stats_.allocated += block->size;
    stats_.peak = std::max(stats_.peak, stats_.allocated);
    return block;
  }

  void give_back(Block* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.allocated -= block->size;
    free_.insert(block);
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

  DeviceStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak = stats_.allocated;
  }

 private:
  void release_cached_locked() {
    for (Block* block : free_) {
      DeviceGuard guard(block->device);
      AXON_CUDA_CHECK(cudaFree(block->ptr));
      stats_.reserved -= block->size;
      delete block;
    }
    free_.clear();
  }

  void* malloc_with_retry(int device, size_t size, size_t nbytes) {
    DeviceGuard guard(device);
    void* ptr = nullptr;
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached_locked();
      status = cudaMalloc(&ptr, size);
    }
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      (void)cudaMemGetInfo(&free_bytes, &total_bytes);
      (void)cudaGetLastError();
      AXON_ERROR(
          "CUDA out of memory: tried to allocate {} on cuda:{} ({} of {} free on the device); the "
          "allocator holds {} for tensors and {} reserved in all",
          format_bytes(nbytes), device, format_bytes(free_bytes), format_bytes(total_bytes),
          format_bytes(stats_.allocated), format_bytes(stats_.reserved));
    }
    AXON_CUDA_CHECK(status);
    return ptr;
  }

  std::mutex mutex_;
  std::set<Block*, BlockOrder> free_;
  DeviceStats stats_;
};

class CudaAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override { return allocate_on(Device(kCUDA), nbytes); }

  DataPtr allocate_on(Device device, size_t nbytes) override {
    int index = resolve_device(device.index());
    Device where(kCUDA, static_cast<int8_t>(index));
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, where);
    Block* block = pools_[index].take(index, current_stream(index), nbytes);
    return DataPtr(block->ptr, block, &free_block, where);
  }

  DevicePool& pool(int device) { return pools_[resolve_device(device)]; }

  void empty_cache() {
    // Only devices that were used have cached blocks; no runtime call for the others.
    for (DevicePool& pool : pools_) pool.release_cached();
  }

 private:
  static void free_block(void* context, void* /*data*/);

  std::array<DevicePool, kMaxDevices> pools_;
};

CudaAllocator& cuda_allocator() {
  // Never destroyed: tensors in other static objects may be freed after this would be.
  static auto* allocator = new CudaAllocator();
  return *allocator;
}

void CudaAllocator::free_block(void* context, void* /*data*/) {
  auto* block = static_cast<Block*>(context);
  cuda_allocator().pools_[block->device].give_back(block);
}

// Registration touches no CUDA runtime: without a GPU, allocating is what throws.
const bool registered = (register_allocator(kCUDA, &cuda_allocator()), true);

}  // namespace
}  // namespace axon::cuda_backend

namespace axon::cuda {

using cuda_backend::cuda_allocator;

// Without a GPU nothing was allocated: the statistics are 0, as in PyTorch before CUDA starts.
size_t memory_allocated(int device) {
  return is_available() ? cuda_allocator().pool(device).stats().allocated : 0;
}
size_t max_memory_allocated(int device) {
  return is_available() ? cuda_allocator().pool(device).stats().peak : 0;
}
size_t memory_reserved(int device) {
  return is_available() ? cuda_allocator().pool(device).stats().reserved : 0;
}
void reset_peak_memory_stats(int device) {
  if (is_available()) cuda_allocator().pool(device).reset_peak();
}

void empty_cache() {
  cuda_allocator().empty_cache();
  cuda_backend::empty_pinned_cache();
}

}  // namespace axon::cuda
