// CPU reductions over the middle dim of [outer, size, inner].
#include "kernels/common/reduce.h"

#include <memory>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/reduce_ops.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::ReduceOp;
using kernels::ReduceShape;

template <typename Op>
using Acc = typename Op::Acc;

constexpr int64_t kChunk = 32768;  // fixed, so results do not depend on the thread count

template <typename T, typename Op>
void reduce_rows(const T* in, T* out, const ReduceShape& s) {
  if (s.inner == 1) {
    if (s.outer == 1 && s.size > 2 * kChunk) {
      // One long row: partial results per fixed-size chunk, combined in order.
      const int64_t chunks = (s.size + kChunk - 1) / kChunk;
      // A plain array: std::vector<bool> packs bits, and threads would race on shared words.
      std::unique_ptr<Acc<Op>[]> partial(new Acc<Op>[static_cast<size_t>(chunks)]);
      parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          Acc<Op> acc = Op::identity();
          const int64_t end = std::min(s.size, (c + 1) * kChunk);
          for (int64_t j = c * kChunk; j < end; ++j) acc = Op::combine(acc, Acc<Op>(in[j]));
          partial[c] = acc;
        }
      });
      Acc<Op> acc = Op::identity();
      for (int64_t c = 0; c < chunks; ++c) acc = Op::combine(acc, partial[c]);
      out[0] = static_cast<T>(acc);
      return;
    }
    parallel_for(0, s.outer, std::max<int64_t>(1, kChunk / std::max<int64_t>(s.size, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t o = b; o < e; ++o) {
                     const T* row = in + o * s.size;
                     Acc<Op> acc = Op::identity();
                     for (int64_t j = 0; j < s.size; ++j) acc = Op::combine(acc, Acc<Op>(row[j]));
                     out[o] = static_cast<T>(acc);
                   }
                 });
    return;
  }
  // Columns: accumulate `inner` results at once, walking the input in memory order.
  const int64_t work_per_outer = s.size * s.inner;
  parallel_for(0, s.outer, std::max<int64_t>(1, kChunk / std::max<int64_t>(work_per_outer, 1)),
               [&](int64_t b, int64_t e) {
                 std::unique_ptr<Acc<Op>[]> acc(new Acc<Op>[static_cast<size_t>(s.inner)]);
                 for (int64_t o = b; o < e; ++o) {
                   std::fill(acc.get(), acc.get() + s.inner, Op::identity());
                   const T* block = in + o * work_per_outer;
                   for (int64_t j = 0; j < s.size; ++j) {
                     const T* row = block + j * s.inner;
                     for (int64_t i = 0; i < s.inner; ++i) {
                       acc[i] = Op::combine(acc[i], Acc<Op>(row[i]));
                     }
                   }
                   for (int64_t i = 0; i < s.inner; ++i) {
                     out[o * s.inner + i] = static_cast<T>(acc[i]);
                   }
                 }
               });
}

void reduce_cpu(ReduceOp op, const Tensor& out, const Tensor& in, const ReduceShape& s) {
  kernels::visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    switch (op) {
      case ReduceOp::Sum:
        reduce_rows<T, kernels::SumReduce<T>>(src, dst, s);
        break;
      case ReduceOp::Prod:
        reduce_rows<T, kernels::ProdReduce<T>>(src, dst, s);
        break;
      case ReduceOp::Max:
        reduce_rows<T, kernels::MaxReduce<T>>(src, dst, s);
        break;
      case ReduceOp::Min:
        reduce_rows<T, kernels::MinReduce<T>>(src, dst, s);
        break;
    }
  });
}

void arg_reduce_cpu(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                    const ReduceShape& s) {
  kernels::visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data_ptr<T>();
    T* val = values.defined() ? values.data_ptr<T>() : nullptr;
    int64_t* idx = indices.data_ptr<int64_t>();
    const int64_t rows = s.outer * s.inner;
    parallel_for(0, rows, std::max<int64_t>(1, kChunk / std::max<int64_t>(s.size, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t r = b; r < e; ++r) {
                     const int64_t o = r / s.inner, i = r % s.inner;
                     const T* p = src + o * s.size * s.inner + i;
                     T best = p[0];
                     int64_t best_index = 0;
                     for (int64_t j = 1; j < s.size; ++j) {
                       T x = p[j * s.inner];
                       if (kernels::arg_better(x, best, is_max)) {
                         best = x;
                         best_index = j;
                       }
                     }
                     if (val != nullptr) val[r] = best;
                     idx[r] = best_index;
                   }
                 });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::reduce_kernel, CPU, &reduce_cpu);
AXON_REGISTER_KERNEL(kernels::arg_reduce_kernel, CPU, &arg_reduce_cpu);

}  // namespace axon::cpu
