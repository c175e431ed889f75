#pragma once
// The CPU launchers for elementwise functors. One loop shape serves every op: split the flat
// index range across threads, walk it in runs along the innermost dim, and give each run to a
// tight loop that the compiler vectorises when the operands are contiguous.

#include <cstdint>

#include "kernels/common/elementwise.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {

// Calls run(ptrs, inner_strides, n) for consecutive runs of the innermost dim covering the
// flat range [begin, end). ptrs point at each operand's first element of the run.
template <typename Run>
void for_each_run(const kernels::ElementwiseIter& it, int64_t begin, int64_t end, const Run& run) {
  const int nops = it.noperands;
  if (it.ndim == 1) {  // the common case after coalescing: one run
    char* ptrs[kernels::kMaxOperands];
    int64_t strides[kernels::kMaxOperands];
    for (int op = 0; op < nops; ++op) {
      strides[op] = it.strides[op][0];
      ptrs[op] = it.operand_data(op) +
                 begin * strides[op] * static_cast<int64_t>(element_size(it.dtypes[op]));
    }
    run(ptrs, strides, end - begin);
    return;
  }
  const int last = it.ndim - 1;
  char* base[kernels::kMaxOperands];
  int64_t elem_size[kernels::kMaxOperands];
  int64_t inner_strides[kernels::kMaxOperands];
  for (int op = 0; op < nops; ++op) {
    base[op] = it.operand_data(op);
    elem_size[op] = static_cast<int64_t>(element_size(it.dtypes[op]));
    inner_strides[op] = it.strides[op][last];
  }
  // Multi-index of `begin`.
  int64_t index[kMaxDims];
  int64_t rest = begin;
  for (int d = last; d >= 0; --d) {
    index[d] = rest % it.shape[d];
    rest /= it.shape[d];
  }
  int64_t pos = begin;
  char* ptrs[kernels::kMaxOperands];
  while (pos < end) {
    const int64_t n = std::min(it.shape[last] - index[last], end - pos);
    for (int op = 0; op < nops; ++op) {
      int64_t offset = 0;
      for (int d = 0; d <= last; ++d) offset += index[d] * it.strides[op][d];
      ptrs[op] = base[op] + offset * elem_size[op];
    }
    run(ptrs, inner_strides, n);
    pos += n;
    index[last] += n;
    for (int d = last; d > 0 && index[d] == it.shape[d]; --d) {
      index[d] = 0;
      ++index[d - 1];
    }
  }
}

template <typename Run>
void parallel_runs(const kernels::ElementwiseIter& it, const Run& run) {
  if (it.numel == 0) return;
  parallel_for(0, it.numel, kElementwiseGrain,
               [&](int64_t begin, int64_t end) { for_each_run(it, begin, end, run); });
}

// out = f(a)
template <typename In, typename Out, typename F>
void unary_loop(const kernels::ElementwiseIter& it, const F& f) {
  parallel_runs(it, [&f](char** p, const int64_t* s, int64_t n) {
    auto* out = reinterpret_cast<Out*>(p[0]);
    const auto* a = reinterpret_cast<const In*>(p[1]);
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) out[i] = f(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * s[0]] = f(a[i * s[1]]);
    }
  });
}

// out = f(a, b)
template <typename In, typename Out, typename F>
void binary_loop(const kernels::ElementwiseIter& it, const F& f) {
  parallel_runs(it, [&f](char** p, const int64_t* s, int64_t n) {
    auto* out = reinterpret_cast<Out*>(p[0]);
    const auto* a = reinterpret_cast<const In*>(p[1]);
    const auto* b = reinterpret_cast<const In*>(p[2]);
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      const In bv = *b;
      for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      const In av = *a;
      for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
    }
  });
}

}  // namespace axon::cpu
