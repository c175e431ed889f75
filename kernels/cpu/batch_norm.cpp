// CPU batch norm: one channel per task, statistics in double (as PyTorch's CPU kernels).
#include "kernels/common/batch_norm.h"

#include <algorithm>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::BatchNormShape;
using kernels::channel_vector;
using kernels::ChannelVector;

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
    const ChannelVector<T> rmean = channel_vector<T>(running_mean);
    const ChannelVector<T> rvar = channel_vector<T>(running_var);
    const int64_t count = s.n * s.s;
    for_each_channel(s, [&](int64_t c) {
      double sum = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* row = x + (n * s.c + c) * s.s;
        sum += sum_in_double(s.s, [&](int64_t i) { return row[i]; });
      }
      const T m = static_cast<T>(sum / static_cast<double>(count));
      double var_sum = 0;
      for (int64_t n = 0; n < s.n; ++n) {
        const T* row = x + (n * s.c + c) * s.s;
        var_sum += sum_in_double(s.s, [&](int64_t i) {
          const double d = static_cast<double>(row[i]) - static_cast<double>(m);
          return d * d;
        });
      }
      kernels::store_channel_stats(m, var_sum, static_cast<double>(count), momentum, eps,
                                   &mean_out[c], &invstd_out[c], rmean.at(c), rvar.at(c));
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
    const ChannelVector<const T> w = channel_vector<const T>(weight);
    const ChannelVector<const T> b = channel_vector<const T>(bias);
    const int64_t planes = s.n * s.c;
    parallel_for(0, planes, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, s.s)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t p = begin; p < end; ++p) {
                     const int64_t c = p % s.c;
                     const kernels::BatchNormAffine<T> affine =
                         kernels::batch_norm_affine(m[c], is[c], w.get(c, T(1)), b.get(c, T(0)));
                     const T* src = x + p * s.s;
                     T* dst = y + p * s.s;
                     for (int64_t i = 0; i < s.s; ++i) dst[i] = affine(src[i]);
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
    const ChannelVector<const T> w = channel_vector<const T>(weight);
    T* dx = grad_input.defined() ? grad_input.data_ptr<T>() : nullptr;
    T* dw = grad_weight.defined() ? grad_weight.data_ptr<T>() : nullptr;
    T* db = grad_bias.defined() ? grad_bias.data_ptr<T>() : nullptr;
    const double count = static_cast<double>(s.n * s.s);
    for_each_channel(s, [&](int64_t c) {
      // sum(dy) and sum((x - mean) * dy) over the channel.
      double sum = 0, dot = 0;
      const double mc = m[c];
      for (int64_t n = 0; n < s.n; ++n) {
        const T* dy_row = dy + (n * s.c + c) * s.s;
        const T* x_row = x + (n * s.c + c) * s.s;
        sum += sum_in_double(s.s, [&](int64_t i) { return dy_row[i]; });
        dot += sum_in_double(s.s, [&](int64_t i) {
          return (static_cast<double>(x_row[i]) - mc) * static_cast<double>(dy_row[i]);
        });
      }
      const double invstd_c = is[c];
      const double wc = static_cast<double>(w.get(c, T(1)));
      if (dx) {
        if (training) {
          const kernels::BatchNormGradInput grad_input_of =
              kernels::batch_norm_grad_input(mc, invstd_c, wc, sum, dot, count);
          for (int64_t n = 0; n < s.n; ++n) {
            const int64_t offset = (n * s.c + c) * s.s;
            for (int64_t i = 0; i < s.s; ++i) {
              dx[offset + i] = static_cast<T>(grad_input_of(dy[offset + i], x[offset + i]));
            }
          }
        } else {
          const T scale = kernels::batch_norm_eval_grad_scale<T>(invstd_c, wc);
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
