#pragma once
// Every CUDA runtime, cuBLAS and cuDNN call is checked, and every kernel launch is followed by a
// launch check; a failure becomes an axon::Error naming the call and the library's message.

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

// The check of a library whose calls return a status enum: `ok` is its success value and
// `describe` its status-to-message function. Used through the two below, whose callers include
// the library's header (kept out of here so kernels need not compile it).
#define AXON_CUDA_LIBRARY_CHECK(library, expr, ok, describe)                            \
  do {                                                                                  \
    const auto axon_library_status = (expr);                                            \
    if (axon_library_status != (ok)) [[unlikely]] {                                     \
      AXON_ERROR("{} call `{}` failed: {} (status {})", library, #expr,                 \
                 describe(axon_library_status), static_cast<int>(axon_library_status)); \
    }                                                                                   \
  } while (false)

#define AXON_CUBLAS_CHECK(expr) \
  AXON_CUDA_LIBRARY_CHECK("cuBLAS", expr, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
#define AXON_CUDNN_CHECK(expr) \
  AXON_CUDA_LIBRARY_CHECK("cuDNN", expr, CUDNN_STATUS_SUCCESS, cudnnGetErrorString)
