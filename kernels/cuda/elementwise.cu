// CUDA launchers for the elementwise functors of kernels/common/elementwise.h: the same
// functors the CPU runs, in a grid-stride kernel over the ElementwiseIter core built.
//
// Launched on the current stream of the current device. Only compiled so far: not yet run on a
// GPU.
#include <algorithm>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/elementwise.h"
#include "kernels/common/elementwise_dispatch.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::BinaryOp;
using kernels::ElementwiseIter;
using kernels::kMaxOperands;
using kernels::OpParams;
using kernels::UnaryOp;

constexpr int kThreads = 256;

// Element offsets of every operand for a linear index into the iteration space.
__device__ __forceinline__ void element_offsets(const ElementwiseIter& it, int64_t linear,
                                                int64_t (&offset)[kMaxOperands]) {
  for (int op = 0; op < kMaxOperands; ++op) offset[op] = 0;
  for (int d = it.ndim - 1; d >= 0; --d) {
    const int64_t index = linear % it.shape[d];
    linear /= it.shape[d];
    for (int op = 0; op < it.noperands; ++op) offset[op] += index * it.strides[op][d];
  }
}

template <typename Out, typename In, typename Op>
__global__ void unary_elementwise(ElementwiseIter it, Op op) {
  auto* out = reinterpret_cast<Out*>(it.operand_data(0));
  const auto* a = reinterpret_cast<const In*>(it.operand_data(1));
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < it.numel;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t offset[kMaxOperands];
    element_offsets(it, i, offset);
    out[offset[0]] = op(a[offset[1]]);
  }
}

template <typename Out, typename In, typename Op>
__global__ void binary_elementwise(ElementwiseIter it, Op op) {
  auto* out = reinterpret_cast<Out*>(it.operand_data(0));
  const auto* a = reinterpret_cast<const In*>(it.operand_data(1));
  const auto* b = reinterpret_cast<const In*>(it.operand_data(2));
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < it.numel;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t offset[kMaxOperands];
    element_offsets(it, i, offset);
    out[offset[0]] = op(a[offset[1]], b[offset[2]]);
  }
}

template <typename T>
__global__ void where_elementwise(ElementwiseIter it) {
  auto* out = reinterpret_cast<T*>(it.operand_data(0));
  const auto* c = reinterpret_cast<const bool*>(it.operand_data(1));
  const auto* a = reinterpret_cast<const T*>(it.operand_data(2));
  const auto* b = reinterpret_cast<const T*>(it.operand_data(3));
  const kernels::WhereOp op;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < it.numel;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t offset[kMaxOperands];
    element_offsets(it, i, offset);
    out[offset[0]] = op(c[offset[1]], a[offset[2]], b[offset[3]]);
  }
}

template <typename Out, typename In>
struct CastOp {
  __device__ Out operator()(In x) const { return kernels::cast_to<Out>(x); }
};

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65536));
}

void unary_cuda(UnaryOp op, const OpParams& params, const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::dispatch_unary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    using In = typename decltype(in)::type;
    using Out = typename decltype(out)::type;
    unary_elementwise<Out, In>
        <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, functor);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void binary_cuda(BinaryOp op, const OpParams& params, const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::dispatch_binary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    using In = typename decltype(in)::type;
    using Out = typename decltype(out)::type;
    binary_elementwise<Out, In>
        <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, functor);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void where_cuda(const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::visit_dtype(it.dtypes[0], [&](auto tag) {
    using T = typename decltype(tag)::type;
    where_elementwise<T><<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void copy_cuda(const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::visit_dtype(it.dtypes[0], [&](auto out_tag) {
    using Out = typename decltype(out_tag)::type;
    kernels::visit_dtype(it.dtypes[1], [&](auto in_tag) {
      using In = typename decltype(in_tag)::type;
      unary_elementwise<Out, In>
          <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, CastOp<Out, In>{});
      AXON_CUDA_LAUNCH_CHECK();
    });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::unary_kernel, CUDA, &unary_cuda);
AXON_REGISTER_KERNEL(kernels::binary_kernel, CUDA, &binary_cuda);
AXON_REGISTER_KERNEL(kernels::where_kernel, CUDA, &where_cuda);
AXON_REGISTER_KERNEL(kernels::copy_kernel, CUDA, &copy_cuda);

}  // namespace axon::cuda_backend
