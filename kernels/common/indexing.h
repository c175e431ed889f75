#pragma once
// index_select and its backward. Core lays the indexed tensor out as [outer, size, inner]
// (contiguous, the reductions' ReduceShape) and hands over a contiguous int64 index of n entries.
// Core checks the index values (at once on the CPU, deferred on a GPU); an index outside
// [0, size) that reaches a kernel reads nothing: it selects 0 and adds nowhere.

#include "kernels/common/reduce.h"

namespace axon::kernels {

// out[o, j, i] = self[o, index[j], i] for out [outer, n, inner]; any dtype.
using IndexSelectKernelFn = void(const Tensor& out, const Tensor& self, const Tensor& index,
                                 const ReduceShape& shape);
// self[o, index[j], i] += source[o, j, i] for source [outer, n, inner]; floating dtypes. The CPU
// adds in order of j; CUDA adds with atomics, so repeated indices sum in no fixed order there.
using IndexAddKernelFn = void(const Tensor& self, const Tensor& index, const Tensor& source,
                              const ReduceShape& shape);

AXON_DECLARE_KERNEL(index_select_kernel, IndexSelectKernelFn);
AXON_DECLARE_KERNEL(index_add_kernel, IndexAddKernelFn);

}  // namespace axon::kernels
