#pragma once
// The CUDA backend's two caching allocators: device memory (caching_allocator.cpp) and
// page-locked host memory (pinned_allocator.cpp).

#include <cuda_runtime.h>

#include <cstdint>

namespace axon::cuda_backend {

// A CUDA graph is gone (reset or destroyed): the device memory of its private pool `pool` goes
// back to the general pool, as blocks last used on `stream`, where its replays ran.
void release_graph_pool(int device, uint64_t pool, cudaStream_t stream);

// A non_blocking copy reads or writes the pinned block holding `host_data` on `stream`: the
// block is not handed out again until that work is done.
void record_pinned_use(const void* host_data, cudaStream_t stream);
void empty_pinned_cache();

}  // namespace axon::cuda_backend
