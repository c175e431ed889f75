#pragma once
// Fused optimizer steps: one pass over a parameter's elements does what PyTorch's single-tensor
// SGD and Adam/AdamW (torch/optim/sgd.py, adam.py, adamw.py, torch 1.13) do op by op, with the
// same roundings, so a fused step gives the op sequence's results bit for bit.
//
// Note [Optimizer rounding]: every op of PyTorch's sequence is one rounding here and nothing else
// is. An add with alpha (a.add_(b, alpha)) is one fused multiply-add, as PyTorch's vectorised add
// (vec::fmadd) and axon's AddOp built for x86-64-v3 compute it; every other multiply, add, divide
// and square root is rounded on its own; scalars are cast to the element type first, as the ops
// cast them. So the host must not contract a * b + c by itself: kernels/cpu/optimizer.cpp is
// compiled with -ffp-contract=off (CMakeLists.txt), and device code uses the _rn intrinsics, which
// nvcc never contracts.

#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>

#include "axon/tensor.h"
#include "core/dispatch.h"
#include "kernels/common/math.h"

namespace axon::kernels {

// ---- the kernel interface -------------------------------------------------------------------
// In one call every tensor is contiguous, of one floating dtype and on one device, and each
// parameter's gradient and state have its number of elements (nn/optim/fused_step.cpp sees to it).

struct SgdStepOptions {
  double lr = 0;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};
struct SgdParamTensors {
  Tensor param;             // updated in place
  Tensor grad;              // read
  Tensor momentum_buffer;   // with momentum: updated in place; undefined without
  bool first_step = false;  // the buffer has no value yet and takes the gradient, undampened
};

struct AdamStepOptions {
  double lr = 0;
  double beta1 = 0;
  double beta2 = 0;
  double eps = 0;
  double weight_decay = 0;
  bool amsgrad = false;
  // AdamW: shrink the parameter by lr * weight_decay instead of adding weight_decay * param to
  // the gradient.
  bool decoupled_weight_decay = false;
};
struct AdamParamTensors {
  Tensor param;                // updated in place
  Tensor grad;                 // read
  Tensor exp_avg, exp_avg_sq;  // updated in place
  Tensor max_exp_avg_sq;       // with amsgrad: updated in place; undefined without
  int64_t step = 1;            // this step's number (1 for the first), for the bias corrections
};

using SgdStepKernelFn = void(std::span<const SgdParamTensors> params,
                             const SgdStepOptions& options);
using AdamStepKernelFn = void(std::span<const AdamParamTensors> params,
                              const AdamStepOptions& options);
AXON_DECLARE_KERNEL(sgd_step_kernel, SgdStepKernelFn);
AXON_DECLARE_KERNEL(adam_step_kernel, AdamStepKernelFn);

// ---- one rounding each, never contracted (Note [Optimizer rounding]) -------------------------
template <typename T>
AXON_HOST_DEVICE T mul_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>)
    return __fmul_rn(a, b);
  else
    return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
template <typename T>
AXON_HOST_DEVICE T add_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>)
    return __fadd_rn(a, b);
  else
    return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
template <typename T>
AXON_HOST_DEVICE T div_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>)
    return __fdiv_rn(a, b);
  else
    return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
template <typename T>
AXON_HOST_DEVICE T sqrt_rn(T a) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>)
    return __fsqrt_rn(a);
  else
    return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}

// ---- SGD: torch/optim/sgd.py, _single_tensor_sgd ---------------------------------------------
template <typename T>
struct SgdCoefficients {
  T neg_lr, weight_decay, momentum, one_minus_dampening;
  bool has_weight_decay, has_momentum, nesterov;
};
template <typename T>
SgdCoefficients<T> sgd_coefficients(const SgdStepOptions& o) {
  return {static_cast<T>(-o.lr),
          static_cast<T>(o.weight_decay),
          static_cast<T>(o.momentum),
          static_cast<T>(1 - o.dampening),
          o.weight_decay != 0,
          o.momentum != 0,
          o.nesterov};
}

template <typename T>
AXON_HOST_DEVICE void sgd_step_element(const SgdCoefficients<T>& c, bool first_step, T& param,
                                       T grad, T* momentum_buffer) {
  T d_p = grad;
  if (c.has_weight_decay) d_p = ax_fma(c.weight_decay, param, d_p);  // d_p.add(param, alpha=wd)
  if (c.has_momentum) {
    // buf.mul_(momentum).add_(d_p, alpha=1 - dampening); the first step's buffer is d_p.clone().
    const T buf =
        first_step ? d_p : ax_fma(c.one_minus_dampening, d_p, mul_rn(*momentum_buffer, c.momentum));
    *momentum_buffer = buf;
    d_p = c.nesterov ? ax_fma(c.momentum, buf, d_p) : buf;  // d_p.add(buf, alpha=momentum)
  }
  param = ax_fma(c.neg_lr, d_p, param);  // param.add_(d_p, alpha=-lr)
}

// ---- Adam and AdamW: torch/optim/adam.py and adamw.py, _single_tensor_adam(w) ----------------
template <typename T>
struct AdamCoefficients {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
  T decay_factor;  // AdamW's 1 - lr * weight_decay
  bool decoupled_weight_decay, has_weight_decay, amsgrad;
};
template <typename T>
AdamCoefficients<T> adam_coefficients(const AdamStepOptions& o) {
  return {static_cast<T>(o.beta1),
          static_cast<T>(1 - o.beta1),
          static_cast<T>(o.beta2),
          static_cast<T>(1 - o.beta2),
          static_cast<T>(o.eps),
          static_cast<T>(o.weight_decay),
          static_cast<T>(1 - o.lr * o.weight_decay),
          o.decoupled_weight_decay,
          o.weight_decay != 0,
          o.amsgrad};
}

// The per-parameter scalars, from its step count (computed in double, as PyTorch's Python does).
template <typename T>
struct AdamStepScalars {
  T neg_step_size;          // -lr / bias_correction1
  T bias_correction2_sqrt;  // sqrt(1 - beta2^step)
};
template <typename T>
AdamStepScalars<T> adam_step_scalars(const AdamStepOptions& o, int64_t step) {
  const double bias_correction1 = 1 - std::pow(o.beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(o.beta2, static_cast<double>(step));
  return {static_cast<T>(-(o.lr / bias_correction1)), static_cast<T>(std::sqrt(bias_correction2))};
}

template <typename T>
AXON_HOST_DEVICE void adam_step_element(const AdamCoefficients<T>& c, const AdamStepScalars<T>& s,
                                        T& param, T grad, T& exp_avg, T& exp_avg_sq,
                                        T* max_exp_avg_sq) {
  if (c.decoupled_weight_decay) {
    param = mul_rn(param, c.decay_factor);  // param.mul_(1 - lr * weight_decay)
  } else if (c.has_weight_decay) {
    grad = ax_fma(c.weight_decay, param, grad);  // grad.add(param, alpha=weight_decay)
  }
  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
  exp_avg = ax_fma(c.one_minus_beta1, grad, mul_rn(exp_avg, c.beta1));
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): self + (value * t1) * t2
  exp_avg_sq = add_rn(mul_rn(exp_avg_sq, c.beta2), mul_rn(mul_rn(grad, c.one_minus_beta2), grad));
  T second_moment = exp_avg_sq;
  if (c.amsgrad) {
    // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq): a NaN on either side wins
    // (MaximumOp), in one select that vectorises.
    const T m = *max_exp_avg_sq;
    second_moment = (is_nan(m) | (m > exp_avg_sq)) ? m : exp_avg_sq;
    *max_exp_avg_sq = second_moment;
  }
  // denom = (second_moment.sqrt() / bias_correction2_sqrt).add_(eps)
  const T denom = add_rn(div_rn(sqrt_rn(second_moment), s.bias_correction2_sqrt), c.eps);
  // param.addcdiv_(exp_avg, denom, value=-step_size): self + (value * t1) / t2
  param = add_rn(param, div_rn(mul_rn(exp_avg, s.neg_step_size), denom));
}

}  // namespace axon::kernels
