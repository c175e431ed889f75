#pragma once
// Reductions. Core lays the input out as [outer, size, inner] (contiguous) and the kernel
// reduces the middle dimension into an [outer, inner] output of the same dtype.

#include <cstdint>

#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

enum class ReduceOp : uint8_t { Sum, Prod, Max, Min };

struct ReduceShape {
  int64_t outer = 1;
  int64_t size = 1;
  int64_t inner = 1;
};

// A contiguous tensor of `sizes` seen as [outer, size, inner] around dim `dim`.
inline ReduceShape shape_around(IntArrayRef sizes, int64_t dim) {
  ReduceShape shape;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    (d < dim ? shape.outer : d == dim ? shape.size : shape.inner) *= sizes[static_cast<size_t>(d)];
  }
  return shape;
}

// out[o, i] = reduce over s of in[o, s, i]. Floating sums accumulate in float64 on the CPU.
using ReduceKernelFn = void(ReduceOp op, const Tensor& out, const Tensor& in,
                            const ReduceShape& shape);
// Max or min with the index of its first occurrence (NaN counts as the maximum and minimum,
// as in PyTorch). `values` may be undefined when only indices are wanted.
using ArgReduceKernelFn = void(bool is_max, const Tensor& values, const Tensor& indices,
                               const Tensor& in, const ReduceShape& shape);

AXON_DECLARE_KERNEL(reduce_kernel, ReduceKernelFn);
AXON_DECLARE_KERNEL(arg_reduce_kernel, ArgReduceKernelFn);

}  // namespace axon::kernels
