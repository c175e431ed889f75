// CUDA matrix products: cuBLAS for float32 and float64, a plain kernel for int64
// (integer_gemm.cu), which cuBLAS lacks.
//
// Note [Row-major GEMM on cuBLAS]: cuBLAS is column-major. A row-major matrix with leading
// dimension ld, read column-major, is its transpose with the same ld. So the row-major
// C = op(A) @ op(B) is computed as the column-major C^T = op(B)^T @ op(A)^T: cuBLAS gets B first
// and A second, n and m swapped, and each operand's own transpose flag. The 64-bit entry points
// (cublas<t>gemmStridedBatched_64) take every size as int64, so no product needs splitting.
//
// One cuBLAS handle per device, made on first use and kept for the life of the process
// (destroying it at exit would race the driver's own teardown). Its stream and math mode are
// set just before each call, so a mutex keeps the handle to one thread at a time from then until
// the call is queued. No workspace is set: cuBLAS keeps its default one per handle.
#include "kernels/common/gemm.h"

#include <cublas_v2.h>

#include <array>
#include <mutex>

#include "axon/backends.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/integer_gemm.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::GemmArgs;

constexpr int kMaxDevices = 128;  // Device's index is an int8_t

struct BlasHandle {
  std::mutex mutex;
  cublasHandle_t handle = nullptr;
};

BlasHandle& blas_handle(int device) {
  static auto* handles = new std::array<BlasHandle, kMaxDevices>();  // never destroyed (above)
  return (*handles)[device];
}

cublasOperation_t blas_op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

void gemm_cuda(const GemmArgs& g) {
  const int device = resolve_device(g.device);
  DeviceGuard guard(device);
  if (g.dtype == DType::Int64) {
    integer_gemm(g, current_stream(device));
    return;
  }
  AXON_CHECK(g.dtype == DType::Float32 || g.dtype == DType::Float64,
             "gemm: not implemented for {} tensors", g.dtype);
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  BlasHandle& blas = blas_handle(device);
  std::lock_guard<std::mutex> lock(blas.mutex);
  if (blas.handle == nullptr) AXON_CUBLAS_CHECK(cublasCreate(&blas.handle));
  AXON_CUBLAS_CHECK(cublasSetStream(blas.handle, current_stream(device)));
  // CUBLAS_DEFAULT_MATH keeps float32 products in float32; TF32 only when the user allows it.
  const bool tf32 = g.dtype == DType::Float32 && allow_tf32();
  AXON_CUBLAS_CHECK(
      cublasSetMathMode(blas.handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  const cublasOperation_t op_a = blas_op(g.trans_a), op_b = blas_op(g.trans_b);
  if (g.dtype == DType::Float32) {
    const auto alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
    AXON_CUBLAS_CHECK(cublasSgemmStridedBatched_64(
        blas.handle, op_b, op_a, g.n, g.m, g.k, &alpha, static_cast<const float*>(g.b), g.ldb,
        g.stride_b, static_cast<const float*>(g.a), g.lda, g.stride_a, &beta,
        static_cast<float*>(g.c), g.ldc, g.stride_c, g.batch));
  } else {
    AXON_CUBLAS_CHECK(cublasDgemmStridedBatched_64(
        blas.handle, op_b, op_a, g.n, g.m, g.k, &g.alpha, static_cast<const double*>(g.b), g.ldb,
        g.stride_b, static_cast<const double*>(g.a), g.lda, g.stride_a, &g.beta,
        static_cast<double*>(g.c), g.ldc, g.stride_c, g.batch));
  }
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::gemm_kernel, CUDA, &gemm_cuda);

}  // namespace axon::cuda_backend
