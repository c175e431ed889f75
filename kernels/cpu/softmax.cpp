// CPU softmax and log_softmax over the middle dim of [outer, size, inner].
#include "kernels/common/softmax.h"

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

void softmax_cpu(bool log, const Tensor& out, const Tensor& in, const kernels::ReduceShape& s) {
  kernels::visit_floating_dtype(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    const int64_t rows = s.outer * s.inner;
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(s.size, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t r = b; r < e; ++r) {
                     const int64_t o = r / s.inner, i = r % s.inner;
                     const int64_t offset = o * s.size * s.inner + i;
                     kernels::softmax_row(src + offset, dst + offset, s.size, s.inner, log);
                   }
                 });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::softmax_kernel, CPU, &softmax_cpu);

}  // namespace axon::cpu
