#pragma once
// Batched matrix products: C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b], row-major, with
// op(X) = X or X^T. Core passes strides that let BLAS read transposed views without copying.

#include <cstdint>

#include "axon/dtype.h"
#include "core/dispatch.h"
#include "kernels/common/macros.h"

namespace axon::kernels {

struct GemmArgs {
  DType dtype = DType::Float32;
  int device = -1;  // the operands' device index (CUDA; -1: the current device)
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

// The new C[p][i, j] for integer dtypes, which BLAS libraries lack: both backends loop over it.
template <typename T>
AXON_HOST_DEVICE T gemm_element(const GemmArgs& g, int64_t p, int64_t i, int64_t j) {
  const T* a = static_cast<const T*>(g.a) + p * g.stride_a;
  const T* b = static_cast<const T*>(g.b) + p * g.stride_b;
  const T* c = static_cast<const T*>(g.c) + p * g.stride_c;
  T acc = 0;
  for (int64_t l = 0; l < g.k; ++l) {
    const T x = g.trans_a ? a[l * g.lda + i] : a[i * g.lda + l];
    const T y = g.trans_b ? b[j * g.ldb + l] : b[l * g.ldb + j];
    acc += x * y;
  }
  const T alpha = static_cast<T>(g.alpha), beta = static_cast<T>(g.beta);
  // beta == 0 never reads C, which may be uninitialised (BLAS's rule).
  return alpha * acc + (beta == 0 ? T(0) : beta * c[i * g.ldc + j]);
}

using GemmKernelFn = void(const GemmArgs& args);
AXON_DECLARE_KERNEL(gemm_kernel, GemmKernelFn);

}  // namespace axon::kernels
