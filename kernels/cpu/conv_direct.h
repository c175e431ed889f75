#pragma once
// float32 convolution kernels without a column matrix, for stride-1 convolutions with few output
// channels, in AVX-512 registers (Note [Direct convolution kernels] in conv_direct.cpp). conv.cpp
// takes them where direct_conv_applies; each runs its images on the calling thread.

#include <cstdint>

#include "kernels/common/conv.h"

namespace axon::cpu {

// True when this processor has AVX-512 and the convolution is one of the thin ones the direct
// kernels are faster on: stride 1, at most 16 output channels per group, kernels at least 5
// wide, small images (kMaxOutChannels and the rest in conv_direct.cpp).
bool direct_conv_applies(const kernels::Conv2dParams& p);

// out = conv2d(input, weight) + bias (bias may be null) for the images [begin, end).
void direct_conv_forward(const float* input, const float* weight, const float* bias,
                         const kernels::Conv2dParams& p, int64_t begin, int64_t end, float* out);

// grad_input = the input gradient of the images [begin, end).
void direct_conv_input_grad(const float* grad_output, const float* weight,
                            const kernels::Conv2dParams& p, int64_t begin, int64_t end,
                            float* grad_input);

// grad_weight [out_channels, in_channels / groups, kH, kW] += the weight gradient of the images
// [begin, end).
void direct_conv_weight_grad(const float* grad_output, const float* input,
                             const kernels::Conv2dParams& p, int64_t begin, int64_t end,
                             float* grad_weight);

}  // namespace axon::cpu
