// CPU fused optimizer steps: the per-element updates of kernels/common/optimizer.h in an OpenMP
// loop per parameter. CMakeLists.txt compiles this file with -ffp-contract=off (Note [Optimizer
// rounding]).
#include "kernels/common/optimizer.h"

#include <type_traits>

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

// Calls f(std::true_type) or f(std::false_type): a runtime flag made a compile-time constant.
template <typename F>
void with_constant(bool flag, const F& f) {
  if (flag) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// Each loop is compiled once per combination of the options' flags, with the flags as constants
// in a local copy of the coefficients, and with pointers that do not alias: so the loop body has
// no branches and vectorises.
template <typename T>
void sgd_loop(const kernels::SgdCoefficients<T>& coefficients, bool first_step, T* __restrict param,
              const T* __restrict grad, T* __restrict buf, int64_t begin, int64_t end) {
  with_constant(coefficients.has_momentum, [&](auto momentum) {
    with_constant(coefficients.has_weight_decay, [&](auto weight_decay) {
      with_constant(coefficients.nesterov && momentum, [&](auto nesterov) {
        with_constant(first_step && momentum, [&](auto first) {
          kernels::SgdCoefficients<T> c = coefficients;
          c.has_momentum = momentum;
          c.has_weight_decay = weight_decay;
          c.nesterov = nesterov;
          for (int64_t i = begin; i < end; ++i) {
            kernels::sgd_step_element(c, first, param[i], grad[i], momentum ? buf + i : nullptr);
          }
        });
      });
    });
  });
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
      parallel_for(0, t.param.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
        sgd_loop(c, t.first_step, param, grad, buf, begin, end);
      });
    }
  });
}

template <typename T>
void adam_loop(const kernels::AdamCoefficients<T>& coefficients, kernels::AdamStepScalars<T> s,
               T* __restrict param, const T* __restrict grad, T* __restrict exp_avg,
               T* __restrict exp_avg_sq, T* __restrict max_exp_avg_sq, int64_t begin, int64_t end) {
  with_constant(coefficients.decoupled_weight_decay, [&](auto decoupled) {
    with_constant(coefficients.has_weight_decay && !decoupled, [&](auto weight_decay) {
      with_constant(coefficients.amsgrad, [&](auto amsgrad) {
        kernels::AdamCoefficients<T> c = coefficients;
        c.decoupled_weight_decay = decoupled;
        c.has_weight_decay = weight_decay;
        c.amsgrad = amsgrad;
        for (int64_t i = begin; i < end; ++i) {
          kernels::adam_step_element(c, s, param[i], grad[i], exp_avg[i], exp_avg_sq[i],
                                     amsgrad ? max_exp_avg_sq + i : nullptr);
        }
      });
    });
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
        adam_loop(c, s, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, begin, end);
      });
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::sgd_step_kernel, CPU, &sgd_step_cpu);
AXON_REGISTER_KERNEL(kernels::adam_step_kernel, CPU, &adam_step_cpu);

}  // namespace axon::cpu
