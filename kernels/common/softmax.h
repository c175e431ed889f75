#pragma once
// softmax and log_softmax over the middle dim of a contiguous [outer, size, inner] input.

#include "axon/tensor.h"
#include "core/dispatch.h"
#include "kernels/common/math.h"
#include "kernels/common/reduce.h"

namespace axon::kernels {

using SoftmaxKernelFn = void(bool log, const Tensor& out, const Tensor& in,
                             const ReduceShape& shape);
AXON_DECLARE_KERNEL(softmax_kernel, SoftmaxKernelFn);

// One row of `size` elements `stride` apart, by both backends (CUDA for rows it gives a thread).
template <typename T>
AXON_HOST_DEVICE void softmax_row(const T* in, T* out, int64_t size, int64_t stride, bool log) {
  T max = in[0];
  for (int64_t j = 1; j < size; ++j) {
    T x = in[j * stride];
    if (x > max || is_nan(x)) max = x;
  }
  // As PyTorch: a row holding +inf gives NaN (inf - inf), and so does a row of -inf.
  double sum = 0;
  for (int64_t j = 0; j < size; ++j) {
    T e = ax_exp(in[j * stride] - max);
    if (!log) out[j * stride] = e;
    sum += static_cast<double>(e);
  }
  if (log) {
    const T log_sum = static_cast<T>(ax_log(sum));
    for (int64_t j = 0; j < size; ++j) out[j * stride] = in[j * stride] - max - log_sum;
  } else {
    const T scale = static_cast<T>(1.0 / sum);
    for (int64_t j = 0; j < size; ++j) out[j * stride] *= scale;
  }
}

}  // namespace axon::kernels
