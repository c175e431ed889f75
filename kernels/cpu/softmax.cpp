// CPU softmax and log_softmax over the middle dim of [outer, size, inner].
#include "kernels/common/softmax.h"

#include <cmath>
#include <vector>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/math.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

template <typename T>
void softmax_row(const T* in, T* out, int64_t size, int64_t stride, bool log) {
  T max = in[0];
  for (int64_t j = 1; j < size; ++j) {
    T x = in[j * stride];
    if (x > max || kernels::is_nan(x)) max = x;
  }
  // As PyTorch: a row holding +inf gives NaN (inf - inf), and so does a row of -inf.
  double sum = 0;
  for (int64_t j = 0; j < size; ++j) {
    T e = kernels::ax_exp(in[j * stride] - max);
    if (!log) out[j * stride] = e;
    sum += static_cast<double>(e);
  }
  if (log) {
    const T log_sum = static_cast<T>(std::log(sum));
    for (int64_t j = 0; j < size; ++j) out[j * stride] = in[j * stride] - max - log_sum;
  } else {
    const T scale = static_cast<T>(1.0 / sum);
    for (int64_t j = 0; j < size; ++j) out[j * stride] *= scale;
  }
}

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
                     softmax_row(src + offset, dst + offset, s.size, s.inner, log);
                   }
                 });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::softmax_kernel, CPU, &softmax_cpu);

}  // namespace axon::cpu
