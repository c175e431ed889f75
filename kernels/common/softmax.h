#pragma once
// softmax and log_softmax over the middle dim of a contiguous [outer, size, inner] input.

#include "axon/tensor.h"
#include "core/dispatch.h"
#include "kernels/common/reduce.h"

namespace axon::kernels {

using SoftmaxKernelFn = void(bool log, const Tensor& out, const Tensor& in,
                             const ReduceShape& shape);
AXON_DECLARE_KERNEL(softmax_kernel, SoftmaxKernelFn);

}  // namespace axon::kernels
