// CPU index_select (rows of `inner` elements copied by bytes, so every dtype is one loop) and its
// backward's index_add (in order of the index, so repeated indices sum deterministically).
#include "kernels/common/indexing.h"

#include <algorithm>
#include <cstring>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::ReduceShape;

void index_select_cpu(const Tensor& out, const Tensor& self, const Tensor& index,
                      const ReduceShape& s) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  const auto row_bytes = static_cast<size_t>(s.inner) * self.element_size();
  const auto* from = static_cast<const uint8_t*>(self.data_ptr());
  auto* to = static_cast<uint8_t*>(out.data_ptr());
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(s.inner, 1));
  parallel_for(0, s.outer * n, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / n, v = idx[r - o * n];
      uint8_t* dst = to + static_cast<size_t>(r) * row_bytes;
      if (v < 0 || v >= s.size) {
        std::memset(dst, 0, row_bytes);
      } else {
        std::memcpy(dst, from + static_cast<size_t>(o * s.size + v) * row_bytes, row_bytes);
      }
    }
  });
}

void index_add_cpu(const Tensor& self, const Tensor& index, const Tensor& source,
                   const ReduceShape& s) {
  const int64_t n = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  kernels::visit_floating_dtype(self.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = self.data_ptr<T>();
    const T* src = source.data_ptr<T>();
    // Columns [i0, i1) of every indexed row of slice o, in index order. Threads split the outer
    // slices, or the columns when there is one slice (dim 0): never the index, so two threads
    // never add into the same element and every element's sum has the serial order.
    auto add_rows = [&](int64_t o, int64_t i0, int64_t i1) {
      for (int64_t j = 0; j < n; ++j) {
        const int64_t v = idx[j];
        if (v < 0 || v >= s.size) continue;
        T* row = dst + (o * s.size + v) * s.inner;
        const T* add = src + (o * n + j) * s.inner;
        for (int64_t i = i0; i < i1; ++i) row[i] += add[i];
      }
    };
    if (s.outer > 1) {
      const int64_t grain = kElementwiseGrain / std::max<int64_t>(n * s.inner, 1);
      parallel_for(0, s.outer, std::max<int64_t>(1, grain), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) add_rows(o, 0, s.inner);
      });
    } else {
      const int64_t grain = kElementwiseGrain / std::max<int64_t>(n, 1);
      parallel_for(0, s.inner, std::max<int64_t>(1, grain),
                   [&](int64_t b, int64_t e) { add_rows(0, b, e); });
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::index_select_kernel, CPU, &index_select_cpu);
AXON_REGISTER_KERNEL(kernels::index_add_kernel, CPU, &index_add_cpu);

}  // namespace axon::cpu
