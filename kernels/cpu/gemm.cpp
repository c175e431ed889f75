// CPU matrix products: kernels/cpu/blas.h for float32/float64, a plain loop for int64.
#include "kernels/common/gemm.h"

#include "axon/error.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::GemmArgs;

template <typename T>
void gemm_int(const GemmArgs& g) {
  T* c = static_cast<T*>(g.c);
  for (int64_t p = 0; p < g.batch; ++p) {
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        c[p * g.stride_c + i * g.ldc + j] = kernels::gemm_element<T>(g, p, i, j);
      }
    }
  }
}

void gemm_cpu(const GemmArgs& g) {
  switch (g.dtype) {
    case DType::Float32:
      for (int64_t p = 0; p < g.batch; ++p) {
        gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, static_cast<float>(g.alpha),
             static_cast<const float*>(g.a) + p * g.stride_a, g.lda,
             static_cast<const float*>(g.b) + p * g.stride_b, g.ldb, static_cast<float>(g.beta),
             static_cast<float*>(g.c) + p * g.stride_c, g.ldc);
      }
      return;
    case DType::Float64:
      for (int64_t p = 0; p < g.batch; ++p) {
        gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha,
             static_cast<const double*>(g.a) + p * g.stride_a, g.lda,
             static_cast<const double*>(g.b) + p * g.stride_b, g.ldb, g.beta,
             static_cast<double*>(g.c) + p * g.stride_c, g.ldc);
      }
      return;
    case DType::Int64:
      gemm_int<int64_t>(g);
      return;
    default:
      break;
  }
  AXON_ERROR("gemm: not implemented for {} tensors", g.dtype);
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::gemm_kernel, CPU, &gemm_cpu);

}  // namespace axon::cpu
