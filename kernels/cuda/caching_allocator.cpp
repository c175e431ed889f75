// The caching device allocator.
//
// Note [CUDA caching allocator]: cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds, so a training step must not call them. Freed blocks stay with the allocator, in
// a pool per device keyed by (stream, size), and are handed out again to a request of the same
// size class on the same stream. Reuse on the stream the block was last used on needs no
// synchronisation: work queued later on that stream runs after the work that used the block.
// (A tensor used on another stream would need that stream recorded first; each device has one
// stream for eager work, and a CUDA graph's capture allocates from a private pool of its own,
// kernels/cuda/block_pool.h.) Sizes round to 512 bytes below 1 MiB and to 2 MiB above, and a
// request takes the smallest cached block of its size class or at most twice its size. When
// cudaMalloc fails, the cached blocks are released and the allocation is tried once more; then
// the error says how much was asked for and what the allocator holds.
#include "kernels/cuda/caching_allocator.h"

#include <array>
#include <mutex>

#include "axon/cuda.h"
#include "axon/storage.h"
#include "kernels/cuda/block_pool.h"
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

struct DeviceStats {
  size_t allocated = 0;
  size_t peak = 0;
  size_t reserved = 0;
};

// cudaMalloc, which a capture must not see: it is not queued on a stream, so the graph would not
// repeat it (nor should it). With the capturing thread relaxed for the call, the capture goes on;
// the block then belongs to the graph's pool and is never freed while the graph can replay.
cudaError_t malloc_maybe_capturing(void** ptr, size_t size, bool capturing) {
  if (!capturing) return cudaMalloc(ptr, size);
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  AXON_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  const cudaError_t status = cudaMalloc(ptr, size);
  AXON_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  return status;
}

class DevicePool {
 public:
  // A block for `nbytes` on `stream`, from `pool` (a capture's private pool, or the general one);
  // a capture also adopts a general block last used on `eager_stream`.
  Block* take(int device, PoolId pool, cudaStream_t stream, cudaStream_t eager_stream,
              size_t nbytes) {
    size_t size = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    Block* block = blocks_.take_cached(pool, stream, size);
    if (block == nullptr && pool != kGeneralPool) {
      block = blocks_.adopt_cached(pool, stream, eager_stream, size);
    }
    if (block == nullptr) {
      void* ptr = malloc_with_retry(device, size, nbytes, pool != kGeneralPool);
      block = blocks_.add_new(device, pool, stream, size, ptr);
      stats_.reserved += size;
    }
    stats_.allocated += block->size;
    stats_.peak = std::max(stats_.peak, stats_.allocated);
    return block;
  }

  void give_back(Block* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.allocated -= block->size;
    blocks_.give_back(block);
  }

  // A graph is gone: its pool's blocks become the general pool's, last used on `stream`.
  void release_pool(PoolId pool, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.release_pool(pool, stream);
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
    for (Block* block : blocks_.take_general_cached()) {
      DeviceGuard guard(block->device);
      AXON_CUDA_CHECK(cudaFree(block->ptr));
      stats_.reserved -= block->size;
      delete block;
    }
  }

  // During a capture the cache cannot be released (cudaFree waits for the device): the capture's
  // allocation fails at once.
  void* malloc_with_retry(int device, size_t size, size_t nbytes, bool capturing) {
    DeviceGuard guard(device);
    void* ptr = nullptr;
    cudaError_t status = malloc_maybe_capturing(&ptr, size, capturing);
    if (status == cudaErrorMemoryAllocation && !capturing) {
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
  BlockPool blocks_;
  DeviceStats stats_;
};

class CudaAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override { return allocate_on(Device(kCUDA), nbytes); }

  DataPtr allocate_on(Device device, size_t nbytes) override {
    int index = resolve_device(device.index());
    Device where(kCUDA, static_cast<int8_t>(index));
    if (nbytes == 0) return DataPtr(nullptr, nullptr, nullptr, where);
    const ActiveCapture* capture = active_capture();
    const PoolId pool = capture != nullptr && capture->device == index ? capture->pool : kGeneralPool;
    const cudaStream_t eager_stream = device_stream(index);
    Block* block = pools_[index].take(index, pool, current_stream(index), eager_stream, nbytes);
    return DataPtr(block->ptr, block, &free_block, where);
  }

  DevicePool& pool(int device) { return pools_[resolve_device(device)]; }

  void empty_cache() {
    check_not_capturing("cuda::empty_cache", "cudaFree waits for the device");
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

}  // namespace

void release_graph_pool(int device, uint64_t pool, cudaStream_t stream) {
  cuda_allocator().pool(device).release_pool(pool, stream);
}

namespace {

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
