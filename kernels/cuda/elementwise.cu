// CUDA launchers for the elementwise functors of kernels/common/elementwise.h: the same
// functors the CPU runs, in a grid-stride kernel over the ElementwiseIter core built. When every
// operand is dense (stride 1 after coalescing) or broadcast (stride 0) and 16-byte aligned, a
// flat kernel moves 16 bytes per load and store instead.
//
// Launched on the current stream of the current device. Only compiled so far: not yet run on a
// GPU.
#include <algorithm>
#include <cstdint>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/elementwise.h"
#include "kernels/common/elementwise_dispatch.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/grid.cuh"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::BinaryOp;
using kernels::ElementwiseIter;
using kernels::kMaxOperands;
using kernels::OpParams;
using kernels::UnaryOp;

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

// ---- the flat, vectorised kernels -------------------------------------------------------------

// Elements per thread and per access: 16 bytes of the wider type.
template <typename Out, typename In>
inline constexpr int kPack = 16 / (sizeof(Out) > sizeof(In) ? sizeof(Out) : sizeof(In));

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <int N, typename T>
__device__ __forceinline__ Pack<T, N> load_pack(const T* p, int64_t i, bool broadcast) {
  Pack<T, N> r;
  if (broadcast) {
    const T x = p[0];
#pragma unroll
    for (int k = 0; k < N; ++k) r.v[k] = x;
  } else {
    r = *reinterpret_cast<const Pack<T, N>*>(p + i);
  }
  return r;
}

// Operand `op` is read as one value (stride 0) rather than densely.
__device__ __forceinline__ bool broadcast(const ElementwiseIter& it, int op) {
  return it.ndim == 0 || it.strides[op][0] == 0;
}

template <typename Out, typename In, typename Op>
__global__ void flat_unary(ElementwiseIter it, Op op) {
  constexpr int N = kPack<Out, In>;
  auto* out = reinterpret_cast<Out*>(it.operand_data(0));
  const auto* a = reinterpret_cast<const In*>(it.operand_data(1));
  const bool ba = broadcast(it, 1);
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  for (int64_t v = first; v < it.numel / N; v += step) {
    const Pack<In, N> x = load_pack<N>(a, v * N, ba);
    Pack<Out, N> y;
#pragma unroll
    for (int k = 0; k < N; ++k) y.v[k] = op(x.v[k]);
    *reinterpret_cast<Pack<Out, N>*>(out + v * N) = y;
  }
  for (int64_t i = it.numel / N * N + first; i < it.numel; i += step) {
    out[i] = op(a[ba ? 0 : i]);
  }
}

template <typename Out, typename In, typename Op>
__global__ void flat_binary(ElementwiseIter it, Op op) {
  constexpr int N = kPack<Out, In>;
  auto* out = reinterpret_cast<Out*>(it.operand_data(0));
  const auto* a = reinterpret_cast<const In*>(it.operand_data(1));
  const auto* b = reinterpret_cast<const In*>(it.operand_data(2));
  const bool ba = broadcast(it, 1), bb = broadcast(it, 2);
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  for (int64_t v = first; v < it.numel / N; v += step) {
    const Pack<In, N> x = load_pack<N>(a, v * N, ba);
    const Pack<In, N> z = load_pack<N>(b, v * N, bb);
    Pack<Out, N> y;
#pragma unroll
    for (int k = 0; k < N; ++k) y.v[k] = op(x.v[k], z.v[k]);
    *reinterpret_cast<Pack<Out, N>*>(out + v * N) = y;
  }
  for (int64_t i = it.numel / N * N + first; i < it.numel; i += step) {
    out[i] = op(a[ba ? 0 : i], b[bb ? 0 : i]);
  }
}

// ---- the general kernels: any strides ---------------------------------------------------------

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

// Whether the flat kernels apply: the output dense, every input dense or broadcast, and every
// dense operand 16-byte aligned (host scalars are broadcast and read from the kernel argument).
bool is_flat(const ElementwiseIter& it) {
  if (it.ndim > 1) return false;
  for (int op = 0; op < it.noperands; ++op) {
    const int64_t stride = it.ndim == 0 ? 0 : it.strides[op][0];
    if (stride == 0 && op > 0) continue;
    if (stride != 1 || reinterpret_cast<uintptr_t>(it.data[op]) % 16 != 0) return false;
  }
  return true;
}

void unary_cuda(UnaryOp op, const OpParams& params, const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::dispatch_unary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    using In = typename decltype(in)::type;
    using Out = typename decltype(out)::type;
    if (is_flat(it)) {
      flat_unary<Out, In>
          <<<blocks_for(it.numel / kPack<Out, In> + 1), kThreads, 0, current_stream()>>>(it,
                                                                                         functor);
    } else {
      unary_elementwise<Out, In>
          <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, functor);
    }
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void binary_cuda(BinaryOp op, const OpParams& params, const ElementwiseIter& it) {
  if (it.numel == 0) return;
  kernels::dispatch_binary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    using In = typename decltype(in)::type;
    using Out = typename decltype(out)::type;
    if (is_flat(it)) {
      flat_binary<Out, In>
          <<<blocks_for(it.numel / kPack<Out, In> + 1), kThreads, 0, current_stream()>>>(it,
                                                                                         functor);
    } else {
      binary_elementwise<Out, In>
          <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, functor);
    }
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
      if (is_flat(it)) {
        flat_unary<Out, In>
            <<<blocks_for(it.numel / kPack<Out, In> + 1), kThreads, 0, current_stream()>>>(
                it, CastOp<Out, In>{});
      } else {
        unary_elementwise<Out, In>
            <<<blocks_for(it.numel), kThreads, 0, current_stream()>>>(it, CastOp<Out, In>{});
      }
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
