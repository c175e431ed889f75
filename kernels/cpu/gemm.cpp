// CPU matrix products: OpenBLAS for float32/float64, a plain loop for int64.
#include "kernels/common/gemm.h"

#include <cblas.h>

#include "axon/error.h"
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
  const CBLAS_TRANSPOSE ta = g.trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = g.trans_b ? CblasTrans : CblasNoTrans;
  const auto m = static_cast<blasint>(g.m), n = static_cast<blasint>(g.n),
             k = static_cast<blasint>(g.k);
  const auto lda = static_cast<blasint>(g.lda), ldb = static_cast<blasint>(g.ldb),
             ldc = static_cast<blasint>(g.ldc);
  switch (g.dtype) {
    case DType::Float32:
      for (int64_t p = 0; p < g.batch; ++p) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, static_cast<float>(g.alpha),
                    static_cast<const float*>(g.a) + p * g.stride_a, lda,
                    static_cast<const float*>(g.b) + p * g.stride_b, ldb,
                    static_cast<float>(g.beta), static_cast<float*>(g.c) + p * g.stride_c, ldc);
      }
      return;
    case DType::Float64:
      for (int64_t p = 0; p < g.batch; ++p) {
        cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, g.alpha,
                    static_cast<const double*>(g.a) + p * g.stride_a, lda,
                    static_cast<const double*>(g.b) + p * g.stride_b, ldb, g.beta,
                    static_cast<double*>(g.c) + p * g.stride_c, ldc);
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
