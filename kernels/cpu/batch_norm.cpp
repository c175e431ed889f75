// CPU batch norm: one channel per task, statistics in double (as PyTorch's CPU kernels).
#include "kernels/common/batch_norm.h"

#include <cmath>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::BatchNormShape;

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// Calls f(c) for every channel, in parallel when the input is large enough to pay for it.
template <typename F>
void for_each_channel(const BatchNormShape& s, const F& f) {
  const int64_t per_channel = std::max<int64_t>(1, s.n * s.s);
  parallel_for(0, s.c, std::max<int64_t>(1, kElementwiseGrain / per_channel),
               [&](int64_t b, int64_t e) {
                 for (int64_t c = b; c < e; ++c) f(c);
               });
}

void stats_cpu(const Tensor& input, const BatchNormShape& s, const Tensor& mean,
               const Tensor& invstd, const Tensor& running_mean, const Tensor& running_var,
               double momentum, double eps) {
  kernels::visit_floating_dtype(input.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = input.data_ptr<T>();
    T* mean_out = mean.data_ptr<T>();
    T* invstd_out = invstd.data_ptr<T>();
    T* rmean = data_or_null<T>(running_mean);
    T* rvar = data_or_null<T>(running_var);
    const int64_t count = s.n * s.s;
    for_each_channel(s, [&](int64_t c) {
      double sum = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* row = x + (n * s.c + c) * s.s;
        for (int64_t i = 0; i < s.s; ++i) sum += row[i];
      }
      const T m = static_cast<T>(sum / static_cast<double>(count));
      double var_sum = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* row = x + (n * s.c + c) * s.s;
        for (int64_t i = 0; i < s.s; ++i) {
          const double d = static_cast<double>(row[i]) - static_cast<double>(m);
          var_sum += d * d;
        }
      }
      mean_out[c] = m;
      invstd_out[c] = static_cast<T>(1.0 / std::sqrt(var_sum / static_cast<double>(count) + eps));
      if (rmean) {
        rmean[c] = static_cast<T>(momentum * static_cast<double>(m) +
                                  (1 - momentum) * static_cast<double>(rmean[c]));
      }
      if (rvar) {
        const double unbiased = var_sum / static_cast<double>(count - 1);
        rvar[c] =
            static_cast<T>(momentum * unbiased + (1 - momentum) * static_cast<double>(rvar[c]));
      }
    });
  });
}

void apply_cpu(const Tensor& out, const Tensor& input, const BatchNormShape& s, const Tensor& mean,
               const Tensor& invstd, const Tensor& weight, const Tensor& bias) {
  kernels::visit_floating_dtype(input.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = input.data_ptr<T>();
    T* y = out.data_ptr<T>();
    const T* m = mean.data_ptr<T>();
    const T* is = invstd.data_ptr<T>();
    const T* w = data_or_null<T>(weight);
    const T* b = data_or_null<T>(bias);
    // y = x * alpha + beta per channel, as PyTorch folds it.
    const int64_t planes = s.n * s.c;
    parallel_for(0, planes, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, s.s)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t p = begin; p < end; ++p) {
                     const int64_t c = p % s.c;
                     const T alpha = is[c] * (w ? w[c] : T(1));
                     const T beta = (b ? b[c] : T(0)) - m[c] * alpha;
                     const T* src = x + p * s.s;
                     T* dst = y + p * s.s;
                     for (int64_t i = 0; i < s.s; ++i) dst[i] = src[i] * alpha + beta;
                   }
                 });
  });
}

void backward_cpu(const Tensor& grad_out, const Tensor& input, const BatchNormShape& s,
                  const Tensor& mean, const Tensor& invstd, const Tensor& weight, bool training,
                  const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias) {
  kernels::visit_floating_dtype(input.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = input.data_ptr<T>();
    const T* dy = grad_out.data_ptr<T>();
    const T* m = mean.data_ptr<T>();
    const T* is = invstd.data_ptr<T>();
    const T* w = data_or_null<T>(weight);
    T* dx = data_or_null<T>(grad_input);
    T* dw = data_or_null<T>(grad_weight);
    T* db = data_or_null<T>(grad_bias);
    const double count = static_cast<double>(s.n * s.s);
    for_each_channel(s, [&](int64_t c) {
      // sum(dy) and sum((x - mean) * dy) over the channel.
      double sum = 0, dot = 0;
      const double mc = m[c];
      for (int64_t n = 0; n < s.n; ++n) {
        const int64_t offset = (n * s.c + c) * s.s;
        for (int64_t i = 0; i < s.s; ++i) {
          sum += dy[offset + i];
          dot += (static_cast<double>(x[offset + i]) - mc) * dy[offset + i];
        }
      }
      const double invstd_c = is[c];
      const double wc = w ? static_cast<double>(w[c]) : 1.0;
      if (dx) {
        if (training) {
          const double k = dot * invstd_c * invstd_c / count;
          const double grad_mean = sum / count;
          for (int64_t n = 0; n < s.n; ++n) {
            const int64_t offset = (n * s.c + c) * s.s;
            for (int64_t i = 0; i < s.s; ++i) {
              const double centered = static_cast<double>(x[offset + i]) - mc;
              dx[offset + i] =
                  static_cast<T>((dy[offset + i] - grad_mean - centered * k) * invstd_c * wc);
            }
          }
        } else {
          const T scale = static_cast<T>(invstd_c * wc);
          for (int64_t n = 0; n < s.n; ++n) {
            const int64_t offset = (n * s.c + c) * s.s;
            for (int64_t i = 0; i < s.s; ++i) dx[offset + i] = dy[offset + i] * scale;
          }
        }
      }
      if (dw) dw[c] = static_cast<T>(dot * invstd_c);
      if (db) db[c] = static_cast<T>(sum);
    });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::batch_norm_stats_kernel, CPU, &stats_cpu);
AXON_REGISTER_KERNEL(kernels::batch_norm_apply_kernel, CPU, &apply_cpu);
AXON_REGISTER_KERNEL(kernels::batch_norm_backward_kernel, CPU, &backward_cpu);

}  // namespace axon::cpu
