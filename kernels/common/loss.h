#pragma once
// The negative log-likelihood loss over a contiguous [M, C] input of log-probabilities and M
// int64 class indices: the core of nll_loss and cross_entropy.

#include <cstdint>

#include "axon/functions.h"
#include "core/dispatch.h"

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

}  // namespace axon::kernels
