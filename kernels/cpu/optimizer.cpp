// CPU fused optimizer steps: the per-element updates of kernels/common/optimizer.h in an OpenMP
// loop per parameter. CMakeLists.txt compiles this file with -ffp-contract=off (Note [Optimizer
// rounding]).
#include "kernels/common/optimizer.h"

#include "kernels/common/dtype_dispatch.h"
#include "kernels/cpu/parallel.h"

namespace axon::cpu {
namespace {

using kernels::AdamParamTensors;
using kernels::AdamStepOptions;
using kernels::SgdParamTensors;
using kernels::SgdStepOptions;

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void sgd_step_cpu(std::span<const SgdParamTensors> params, const SgdStepOptions& options) {
  if (params.empty()) return;
  kernels::visit_floating_dtype(params[0].param.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const kernels::SgdCoefficients<T> c = kernels::sgd_coefficients<T>(options);
    for (const SgdParamTensors& t : params) {
      T* param = t.param.data_ptr<T>();
      const T* grad = t.grad.data_ptr<T>();
      T* buf = data_or_null<T>(t.momentum_buffer);
      const bool first_step = t.first_step;
      parallel_for(0, t.param.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          kernels::sgd_step_element(c, first_step, param[i], grad[i], buf + (buf ? i : 0));
        }
      });
    }
  });
}

void adam_step_cpu(std::span<const AdamParamTensors> params, const AdamStepOptions& options) {
  if (params.empty()) return;
  kernels::visit_floating_dtype(params[0].param.dtype(), "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const kernels::AdamCoefficients<T> c = kernels::adam_coefficients<T>(options);
    for (const AdamParamTensors& t : params) {
      const kernels::AdamStepScalars<T> s = kernels::adam_step_scalars<T>(options, t.step);
      T* param = t.param.data_ptr<T>();
      const T* grad = t.grad.data_ptr<T>();
      T* exp_avg = t.exp_avg.data_ptr<T>();
      T* exp_avg_sq = t.exp_avg_sq.data_ptr<T>();
      T* max_exp_avg_sq = data_or_null<T>(t.max_exp_avg_sq);
      parallel_for(0, t.param.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          kernels::adam_step_element(c, s, param[i], grad[i], exp_avg[i], exp_avg_sq[i],
                                     max_exp_avg_sq + (max_exp_avg_sq ? i : 0));
        }
      });
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::sgd_step_kernel, CPU, &sgd_step_cpu);
AXON_REGISTER_KERNEL(kernels::adam_step_kernel, CPU, &adam_step_cpu);

}  // namespace axon::cpu
