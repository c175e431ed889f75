// CUDA softmax and log_softmax over the middle dim of [outer, size, inner], with the CPU's
// formulas: subtract the row's max (NaN if the row holds one), sum the exponentials in double.
// Rows of at least a warp with inner == 1 get a block each; other layouts give each row a
// thread running the CPU's own kernels::softmax_row (Note [CUDA reduction layouts], reduce.cuh).
//
// Only compiled so far: not yet run on a GPU.
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/reduce_ops.h"
#include "kernels/common/softmax.h"
#include "kernels/cuda/reduce.cuh"

namespace axon::cuda_backend {
namespace {

template <typename T>
__global__ void softmax_block_rows(const T* in, T* out, int64_t rows, int64_t size, bool log) {
  using MaxOp = kernels::MaxReduce<T>;
  using SumOp = kernels::SumReduce<double>;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x = in + row * size;
    T* y = out + row * size;
    auto max_state = MaxOp::identity();
    for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
      max_state = MaxOp::combine(max_state, x[j]);
    }
    const T max = static_cast<T>(block_all_reduce<MaxOp>(max_state));
    double sum = 0;
    for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
      sum += static_cast<double>(kernels::ax_exp(x[j] - max));
    }
    sum = block_all_reduce<SumOp>(sum);
    if (log) {
      const T log_sum = static_cast<T>(kernels::ax_log(sum));
      for (int64_t j = threadIdx.x; j < size; j += blockDim.x) y[j] = x[j] - max - log_sum;
    } else {
      const T scale = static_cast<T>(1.0 / sum);
      for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
        y[j] = kernels::ax_exp(x[j] - max) * scale;
      }
    }
  }
}

template <typename T>
__global__ void softmax_thread_rows(const T* in, T* out, kernels::ReduceShape s, bool log) {
  const int64_t rows = s.outer * s.inner;
  for (int64_t r = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; r < rows;
       r += int64_t{gridDim.x} * blockDim.x) {
    const int64_t o = r / s.inner, i = r % s.inner;
    const int64_t offset = o * s.size * s.inner + i;
    kernels::softmax_row(in + offset, out + offset, s.size, s.inner, log);
  }
}

void softmax_cuda(bool log, const Tensor& out, const Tensor& in, const kernels::ReduceShape& s) {
  DeviceGuard guard(resolve_device(in.device().index()));
  const int64_t rows = s.outer * s.inner;
  if (rows == 0 || s.size == 0) return;
  kernels::visit_floating_dtype(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    if (s.inner == 1 && s.size >= kWarpSize) {
      softmax_block_rows<<<grid_size(rows), row_threads(s.size), 0, current_stream()>>>(
          src, dst, rows, s.size, log);
    } else {
      softmax_thread_rows<<<grid_size(rows, kColumnThreads), kColumnThreads, 0, current_stream()>>>(
          src, dst, s, log);
    }
    AXON_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::softmax_kernel, CUDA, &softmax_cuda);

}  // namespace axon::cuda_backend
