#pragma once
// Every CUDA runtime call is checked, and every kernel launch is followed by a launch check; a
// failure becomes an axon::Error naming the call and CUDA's message.

#include <cuda_runtime.h>

#include "axon/error.h"

#define AXON_CUDA_CHECK(expr)                                                                   \
  do {                                                                                          \
    const cudaError_t axon_cuda_status = (expr);                                                \
    if (axon_cuda_status != cudaSuccess) [[unlikely]] {                                         \
      AXON_ERROR("CUDA call `{}` failed: {} ({})", #expr, cudaGetErrorString(axon_cuda_status), \
                 cudaGetErrorName(axon_cuda_status));                                           \
    }                                                                                           \
  } while (false)

#define AXON_CUDA_LAUNCH_CHECK() AXON_CUDA_CHECK(cudaGetLastError())
