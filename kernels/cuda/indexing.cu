// CUDA index_select (a thread per output element) and its backward's index_add (a thread per
// source element, atomicAdd into the indexed row: repeated indices sum in no fixed order, as
// PyTorch's CUDA index_add_). An index outside [0, size) selects 0 and adds nowhere; core reports
// it through a deferred check.
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/indexing.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/grid.cuh"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::ReduceShape;

// The offset in the [outer, size, inner] tensor of element i of an [outer, n, inner] one, whose
// middle position j stands for index[j]; -1 when that index is out of range.
__device__ int64_t indexed_offset(int64_t i, const int64_t* index, int64_t n,
                                  const ReduceShape& s) {
  const int64_t r = i / s.inner, o = r / n;
  const int64_t v = index[r - o * n];
  return v >= 0 && v < s.size ? (o * s.size + v) * s.inner + (i - r * s.inner) : -1;
}

template <typename T>
__global__ void index_select_rows(T* out, const T* self, const int64_t* index, int64_t n,
                                  ReduceShape s) {
  AXON_GRID_STRIDE_LOOP(i, s.outer * n * s.inner) {
    const int64_t at = indexed_offset(i, index, n, s);
    out[i] = at >= 0 ? self[at] : T(0);
  }
}

template <typename T>
__global__ void index_add_rows(T* self, const int64_t* index, const T* source, int64_t n,
                               ReduceShape s) {
  AXON_GRID_STRIDE_LOOP(i, s.outer * n * s.inner) {
    const int64_t at = indexed_offset(i, index, n, s);
    if (at >= 0) atomicAdd(self + at, source[i]);
  }
}

void index_select_cuda(const Tensor& out, const Tensor& self, const Tensor& index,
                       const ReduceShape& s) {
  const int64_t total = out.numel();
  if (total == 0) return;
  DeviceGuard guard(resolve_device(out.device().index()));
  kernels::visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    index_select_rows<T><<<blocks_for(total), kThreads, 0, current_stream()>>>(
        out.data_ptr<T>(), self.data_ptr<T>(), index.data_ptr<int64_t>(), index.numel(), s);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void index_add_cuda(const Tensor& self, const Tensor& index, const Tensor& source,
                    const ReduceShape& s) {
  const int64_t total = source.numel();
  if (total == 0) return;
  DeviceGuard guard(resolve_device(self.device().index()));
  kernels::visit_floating_dtype(self.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    index_add_rows<T><<<blocks_for(total), kThreads, 0, current_stream()>>>(
        self.data_ptr<T>(), index.data_ptr<int64_t>(), source.data_ptr<T>(), index.numel(), s);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::index_select_kernel, CUDA, &index_select_cuda);
AXON_REGISTER_KERNEL(kernels::index_add_kernel, CUDA, &index_add_cuda);

}  // namespace axon::cuda_backend
