#pragma once
// 2-D pooling kernels over contiguous NCHW tensors seen as `planes` = N * C independent
// [H, W] images. Core checks the arguments and allocates the outputs; kernels overwrite them
// completely. Indices are int64, flat over in_h * in_w within each plane (as PyTorch's).

#include <cstdint>

#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

struct Pool2dParams {
  int64_t planes = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  // The window geometry; adaptive pooling derives its windows from the sizes alone.
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  bool count_include_pad = true;  // avg_pool2d
  int64_t divisor_override = 0;   // avg_pool2d; 0 means none
};

// out = the max of each window; indices, if defined, where it is (the first maximum, or the
// last NaN: PyTorch's test is v > max || isnan(v)).
using MaxPool2dFn = void(const Tensor& out, const Tensor& indices, const Tensor& input,
                         const Pool2dParams& p);
// grad_input = zeros, then grad_input[plane, indices[plane, o]] += grad_output[plane, o].
using MaxPool2dBackwardFn = void(const Tensor& grad_input, const Tensor& grad_output,
                                 const Tensor& indices, const Pool2dParams& p);
// out[plane, o] = grad_input[plane, indices[plane, o]]: the backward's own backward.
using MaxPool2dGatherFn = void(const Tensor& out, const Tensor& grad_input, const Tensor& indices,
                               const Pool2dParams& p);
// avg_pool2d (adaptive = false) or adaptive_avg_pool2d (adaptive = true), and their backward.
using AvgPool2dFn = void(bool adaptive, const Tensor& out, const Tensor& input,
                         const Pool2dParams& p);
using AvgPool2dBackwardFn = void(bool adaptive, const Tensor& grad_input, const Tensor& grad_output,
                                 const Pool2dParams& p);

AXON_DECLARE_KERNEL(max_pool2d_kernel, MaxPool2dFn);
AXON_DECLARE_KERNEL(max_pool2d_backward_kernel, MaxPool2dBackwardFn);
AXON_DECLARE_KERNEL(max_pool2d_gather_kernel, MaxPool2dGatherFn);
AXON_DECLARE_KERNEL(avg_pool2d_kernel, AvgPool2dFn);
AXON_DECLARE_KERNEL(avg_pool2d_backward_kernel, AvgPool2dBackwardFn);

}  // namespace axon::kernels
