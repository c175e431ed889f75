#pragma once
// What core needs from the CUDA backend without including CUDA: the pinned host allocator, and
// a counter the tests read. Implemented in kernels/cuda/ when the backend is built, by
// core/cuda_stubs.cpp otherwise.

#include <cstdint>

#include "axon/storage.h"

namespace axon::detail {

// Page-locked host memory (cached like the device allocator); throws without a usable GPU.
Allocator* pinned_host_allocator();
// Whether `data` lies in a block from the pinned host allocator.
bool is_pinned(const void* data);
// How many times cuDNN's algorithm heuristics were asked (kernels/cuda/conv.cpp): a convolution
// of a shape seen before must reuse its cached choice. 0 without the backend.
int64_t cudnn_algorithm_searches();

}  // namespace axon::detail
