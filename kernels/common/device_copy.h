#pragma once
// Copies between devices (host <-> GPU), registered by the non-CPU backend under its own
// device type. dst and src have the same shape; dtypes may differ.

#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

using DeviceCopyKernelFn = void(const Tensor& dst, const Tensor& src, bool non_blocking);
AXON_DECLARE_KERNEL(device_copy_kernel, DeviceCopyKernelFn);

}  // namespace axon::kernels
