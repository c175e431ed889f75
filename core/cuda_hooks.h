#pragma once
// What core needs from the CUDA backend without including CUDA: the pinned host allocator.
// Implemented in kernels/cuda/ when the backend is built, by core/cuda_stubs.cpp otherwise.

#include "axon/storage.h"

namespace axon::detail {

// Page-locked host memory (cached like the device allocator); throws without a usable GPU.
Allocator* pinned_host_allocator();
// Whether `data` lies in a block from the pinned host allocator.
bool is_pinned(const void* data);

}  // namespace axon::detail
