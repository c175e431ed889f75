#pragma once
// Batch normalisation over the channels of a contiguous [N, C, S] input (S = spatial size, 1 for
// 2-D input). Statistics are accumulated in double, two passes (mean, then squared deviations),
// so large means do not cancel.

#include <cstdint>

#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

struct BatchNormShape {
  int64_t n = 0, c = 0, s = 0;
};

// Per channel: mean and 1/sqrt(biased var + eps) into `mean`/`invstd` ([C], input's dtype);
// when `running_mean`/`running_var` are defined, also
//   running = momentum * batch + (1 - momentum) * running   (var unbiased, as PyTorch).
using BatchNormStatsKernelFn = void(const Tensor& input, const BatchNormShape& shape,
                                    const Tensor& mean, const Tensor& invstd,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    double momentum, double eps);
// out = (input - mean) * invstd * weight + bias; weight/bias may be undefined (1 and 0).
using BatchNormApplyKernelFn = void(const Tensor& out, const Tensor& input,
                                    const BatchNormShape& shape, const Tensor& mean,
                                    const Tensor& invstd, const Tensor& weight, const Tensor& bias);
// Gradients of the above; each output may be undefined (not needed). `training` says whether
// mean/invstd were batch statistics (their gradient flows) or running ones (constants).
using BatchNormBackwardKernelFn = void(const Tensor& grad_out, const Tensor& input,
                                       const BatchNormShape& shape, const Tensor& mean,
                                       const Tensor& invstd, const Tensor& weight, bool training,
                                       const Tensor& grad_input, const Tensor& grad_weight,
                                       const Tensor& grad_bias);

AXON_DECLARE_KERNEL(batch_norm_stats_kernel, BatchNormStatsKernelFn);
AXON_DECLARE_KERNEL(batch_norm_apply_kernel, BatchNormApplyKernelFn);
AXON_DECLARE_KERNEL(batch_norm_backward_kernel, BatchNormBackwardKernelFn);

}  // namespace axon::kernels
