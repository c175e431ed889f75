#pragma once
// 2-D convolution kernels (cross-correlation, as PyTorch's conv2d). Core checks the arguments,
// makes every tensor contiguous (input and grads NCHW, weight [C_out, C_in / groups, kH, kW])
// and of one floating dtype, and allocates the outputs; kernels overwrite them completely.

#include <cstdint>

#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

struct Conv2dParams {
  int64_t batch = 0;
  int64_t in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// out = conv2d(input, weight) + bias; `bias` may be undefined.
using Conv2dForwardFn = void(const Tensor& out, const Tensor& input, const Tensor& weight,
                             const Tensor& bias, const Conv2dParams& p);
// grad_input = d(sum(conv2d(input, weight) * grad_output)) / d input.
using Conv2dBackwardInputFn = void(const Tensor& grad_input, const Tensor& grad_output,
                                   const Tensor& weight, const Conv2dParams& p);
// grad_weight and grad_bias (either may be undefined when not wanted) from grad_output and the
// forward's input.
using Conv2dBackwardWeightFn = void(const Tensor& grad_weight, const Tensor& grad_bias,
                                    const Tensor& grad_output, const Tensor& input,
                                    const Conv2dParams& p);

AXON_DECLARE_KERNEL(conv2d_forward_kernel, Conv2dForwardFn);
AXON_DECLARE_KERNEL(conv2d_backward_input_kernel, Conv2dBackwardInputFn);
AXON_DECLARE_KERNEL(conv2d_backward_weight_kernel, Conv2dBackwardWeightFn);

}  // namespace axon::kernels
