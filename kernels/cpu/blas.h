#pragma once
// Row-major C = alpha * op(A) @ op(B) + beta * C on one host thread team, for the CPU kernels
// that multiply matrices (gemm.cpp, conv.cpp). beta == 0 never reads C.
//
// float32 goes to oneDNN's sgemm, float64 to OpenBLAS: see Note [CPU sgemm] in blas.cpp.

#include <cstdint>

namespace axon::cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);

}  // namespace axon::cpu
