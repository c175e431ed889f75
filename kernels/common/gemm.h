#pragma once
// Batched matrix products: C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b], row-major, with
// op(X) = X or X^T. Core passes strides that let BLAS read transposed views without copying.

#include <cstdint>

#include "axon/dtype.h"
#include "core/dispatch.h"

namespace axon::kernels {

struct GemmArgs {
  DType dtype = DType::Float32;
  bool trans_a = false;
  bool trans_b = false;
  int64_t batch = 1;
  int64_t m = 0, n = 0, k = 0;
  double alpha = 1, beta = 0;
  const void* a = nullptr;
  int64_t lda = 0, stride_a = 0;  // stride_a: elements between batches
  const void* b = nullptr;
  int64_t ldb = 0, stride_b = 0;
  void* c = nullptr;
  int64_t ldc = 0, stride_c = 0;
};

using GemmKernelFn = void(const GemmArgs& args);
AXON_DECLARE_KERNEL(gemm_kernel, GemmKernelFn);

}  // namespace axon::kernels
