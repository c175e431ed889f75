// Note [CPU sgemm]
// float32 products run on oneDNN's dnnl_sgemm, float64 ones on OpenBLAS. oneDNN picks its
// kernels from the processor's features (cpuid) when it first runs: AVX-512 where the CPU has
// it, AVX2 or SSE4.1 otherwise. OpenBLAS picks its kernels from OPENBLAS_CORETYPE when that is
// set, and this project's machines set it to Haswell (AVX2) because older OpenBLAS builds
// misdetect newer processors. On those machines (bench/bench_core, 2 threads, float32, numbers
// in docs/BENCHMARKS.md) OpenBLAS ran the 1024^3 product at ~200 GFLOP/s and oneDNN at ~390-430,
// and LeNet-5's small convolution products (6 x 784 x 25 and the like) at 24-86 against 93-180.
// Both libraries run their threads on the same OpenMP runtime (libgomp) as axon's loops, and run
// on one thread inside a parallel region.
#include "kernels/cpu/blas.h"

#include <cblas.h>
#include <dnnl.h>
#include <dnnl_debug.h>
#include <fmt/format.h>
#include <omp.h>

#include "axon/backends.h"
#include "axon/error.h"

namespace axon::cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha,
                                          a, lda, b, ldb, beta, c, ldc);
  AXON_CHECK(status == dnnl_success,
             "gemm: oneDNN's sgemm failed ({}) for m={} n={} k={} lda={} ldb={} ldc={}",
             dnnl_status2str(status), m, n, k, lda, ldb, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

}  // namespace axon::cpu

namespace axon {

std::string show_config() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format(
      "float32 GEMM: oneDNN {}.{}.{} ({})\nfloat64 GEMM: {} (core {})\nOpenMP threads: {}\n",
      v->major, v->minor, v->patch, dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()),
      openblas_get_config(), openblas_get_corename(), omp_get_max_threads());
}

}  // namespace axon
