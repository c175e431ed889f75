#pragma once
// One-dimensional launches over n elements: kThreads threads a block, at most 65536 blocks, and
// each thread strides over what the grid does not cover (AXON_GRID_STRIDE_LOOP).

#include <algorithm>
#include <cstdint>

namespace axon::cuda_backend {

inline constexpr int kThreads = 256;

inline unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65536));
}

}  // namespace axon::cuda_backend

#define AXON_GRID_STRIDE_LOOP(i, n)                                         \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)
