// CUDA reductions over the middle dim of [outer, size, inner]: sum, prod, max, min with the
// CPU's combine functors (kernels/common/reduce_ops.h), and arg-max/min with its first-occurrence
// and NaN rule. Layouts and the two-pass split: Note [CUDA reduction layouts] (reduce.cuh).
//
// Only compiled so far: not yet run on a GPU.
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/reduce.h"
#include "kernels/common/reduce_ops.h"
#include "kernels/cuda/reduce.cuh"

namespace axon::cuda_backend {
namespace {

using kernels::ReduceOp;
using kernels::ReduceShape;

template <typename T, typename Acc>
struct ValueSource {
  const T* data;
  __device__ Acc at(int64_t offset, int64_t) const { return static_cast<Acc>(data[offset]); }
};

template <typename T, typename Acc>
struct ValueSink {
  T* data;
  __device__ void put(int64_t k, Acc state) const { data[k] = static_cast<T>(state); }
};

template <typename Op, typename T>
void reduce_values(const Tensor& out, const Tensor& in, const ReduceShape& s) {
  using Acc = typename Op::Acc;
  reduce_middle_dim<Op>(ValueSource<T, Acc>{in.data_ptr<T>()}, ValueSink<T, Acc>{out.data_ptr<T>()},
                        s, in.device());
}

void reduce_cuda(ReduceOp op, const Tensor& out, const Tensor& in, const ReduceShape& s) {
  DeviceGuard guard(resolve_device(in.device().index()));
  kernels::visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::Sum:
        reduce_values<kernels::SumReduce<T>, T>(out, in, s);
        break;
      case ReduceOp::Prod:
        reduce_values<kernels::ProdReduce<T>, T>(out, in, s);
        break;
      case ReduceOp::Max:
        reduce_values<kernels::MaxReduce<T>, T>(out, in, s);
        break;
      case ReduceOp::Min:
        reduce_values<kernels::MinReduce<T>, T>(out, in, s);
        break;
    }
  });
}

// A candidate of an arg-reduction; index < 0 marks the identity (no element yet).
template <typename T>
struct ArgState {
  T value;
  int64_t index;
};

// Of two candidates, the one a scan in index order would keep (kernels::arg_better), whatever
// order the tree combines them in.
template <typename T, bool kIsMax>
struct ArgReduce {
  static __device__ ArgState<T> identity() { return {T(0), -1}; }
  static __device__ ArgState<T> combine(ArgState<T> a, ArgState<T> b) {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const ArgState<T>& first = a.index < b.index ? a : b;
    const ArgState<T>& second = a.index < b.index ? b : a;
    return kernels::arg_better(second.value, first.value, kIsMax) ? second : first;
  }
};

template <typename T>
struct ArgSource {
  const T* data;
  __device__ ArgState<T> at(int64_t offset, int64_t j) const { return {data[offset], j}; }
};

template <typename T>
struct ArgSink {
  T* values;  // null when only indices are wanted
  int64_t* indices;
  __device__ void put(int64_t k, ArgState<T> state) const {
    if (values != nullptr) values[k] = state.value;
    indices[k] = state.index;
  }
};

void arg_reduce_cuda(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                     const ReduceShape& s) {
  DeviceGuard guard(resolve_device(in.device().index()));
  kernels::visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const ArgSource<T> source{in.data_ptr<T>()};
    const ArgSink<T> sink{values.defined() ? values.data_ptr<T>() : nullptr,
                          indices.data_ptr<int64_t>()};
    if (is_max) {
      reduce_middle_dim<ArgReduce<T, true>>(source, sink, s, in.device());
    } else {
      reduce_middle_dim<ArgReduce<T, false>>(source, sink, s, in.device());
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::reduce_kernel, CUDA, &reduce_cuda);
AXON_REGISTER_KERNEL(kernels::arg_reduce_kernel, CUDA, &arg_reduce_cuda);

}  // namespace axon::cuda_backend
