#pragma once
// The negative log-likelihood loss over a contiguous [M, C] input of log-probabilities and M
// int64 class indices: the core of nll_loss and cross_entropy.

#include <cstdint>
#include <limits>

#include "axon/functions.h"
#include "core/dispatch.h"
#include "kernels/common/macros.h"

namespace axon::kernels {

// Writes -weight[t] * input[m, t] per sample into `out` ([M]) for Reduction::None, else the
// sum or weighted mean into `out` (0-d); `total_weight` (0-d) gets the sum of the weights of the
// samples not ignored. A target outside [0, C) that is not ignore_index is an axon::Error.
using NllLossKernelFn = void(const Tensor& out, const Tensor& total_weight, const Tensor& input,
                             const Tensor& target, const Tensor& weight, int64_t ignore_index,
                             Reduction::Reduction reduction);
// grad_input ([M, C]) = -weight[t] * grad at (m, t), 0 elsewhere; `grad` is [M] for
// Reduction::None, else 0-d, divided by total_weight for Reduction::Mean.
using NllLossBackwardKernelFn = void(const Tensor& grad_input, const Tensor& grad,
                                     const Tensor& target, const Tensor& weight,
                                     const Tensor& total_weight, int64_t ignore_index,
                                     Reduction::Reduction reduction);

AXON_DECLARE_KERNEL(nll_loss_kernel, NllLossKernelFn);
AXON_DECLARE_KERNEL(nll_loss_backward_kernel, NllLossBackwardKernelFn);

// ---- the arithmetic both backends run ---------------------------------------------------------

// One sample's view of the inputs: its loss -weight[t] * input[m, t] and its weight, both 0 when
// ignored. A target out of range (the CPU throws before; a CUDA kernel cannot) gives a NaN loss
// and reads nothing.
template <typename T>
struct NllInputs {
  const T* input;  // [m, classes]
  const int64_t* target;
  const T* weight;  // null for all ones
  int64_t classes;
  int64_t ignore_index;

  AXON_HOST_DEVICE void sample(int64_t m, T& loss, T& weight_of) const {
    const int64_t t = target[m];
    if (t == ignore_index) {
      loss = T(0);
      weight_of = T(0);
    } else if (t < 0 || t >= classes) {
      loss = std::numeric_limits<T>::quiet_NaN();
      weight_of = T(0);
    } else {
      weight_of = weight != nullptr ? weight[t] : T(1);
      loss = -input[m * classes + t] * weight_of;
    }
  }
};

// The backward's factor for the reduced losses: grad (Sum), grad / total_weight (Mean); unused
// for Reduction::None, where each sample takes its own grad[m].
template <typename T>
AXON_HOST_DEVICE T nll_reduced_scale(const T* grad, const T* total_weight,
                                     Reduction::Reduction reduction) {
  T scale = reduction == Reduction::None ? T(0) : grad[0];
  if (reduction == Reduction::Mean) scale /= total_weight[0];
  return scale;
}

// grad_input[m, t] of a sample that is not ignored.
template <typename T>
AXON_HOST_DEVICE T nll_grad(const T* weight, int64_t t, T sample_scale) {
  return -(weight != nullptr ? weight[t] : T(1)) * sample_scale;
}

}  // namespace axon::kernels
