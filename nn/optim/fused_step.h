#pragma once
// The optimizers' side of the fused step kernels (kernels/common/optimizer.h): checks, grouping
// by device and dtype, and contiguous stand-ins for strided tensors.

#include <vector>

#include "axon/tensor.h"
#include "kernels/common/optimizer.h"

namespace axon::optim::detail {

// Throws unless `param` is floating point and its gradient has its dtype, device and shape
// (`name`, the optimizer, prefixes the error).
void check_gradient(const char* name, const Tensor& param);

// One step over a group's parameters: every gradient and state tensor is checked against its
// parameter, parameters are grouped by device and dtype (one kernel call each), and a
// non-contiguous tensor is updated through a contiguous copy that is copied back after the step.
// Runs under the caller's NoGradGuard.
void fused_sgd_step(const char* name, std::vector<kernels::SgdParamTensors> params,
                    const kernels::SgdStepOptions& options);
void fused_adam_step(const char* name, std::vector<kernels::AdamParamTensors> params,
                     const kernels::AdamStepOptions& options);

}  // namespace axon::optim::detail
