#pragma once
// Random fills of a contiguous tensor from a generator.

#include <cstdint>

#include "axon/random.h"
#include "axon/tensor.h"
#include "core/dispatch.h"

namespace axon::kernels {

// Uniform in [from, to) for floating dtypes.
using UniformKernelFn = void(const Tensor& out, double from, double to, Generator& gen);
// Normal(mean, std) for floating dtypes.
using NormalKernelFn = void(const Tensor& out, double mean, double std, Generator& gen);
// Integers uniform in [low, high) for any numeric dtype.
using RandomRangeKernelFn = void(const Tensor& out, int64_t low, int64_t high, Generator& gen);
// A random permutation of 0..n-1 into a 1-D int64 or float tensor of n elements.
using RandpermKernelFn = void(const Tensor& out, Generator& gen);

// 1 with probability p, else 0, in any dtype (a double uniform < p, as PyTorch's CPU bernoulli_).
using BernoulliKernelFn = void(const Tensor& out, double p, Generator& gen);

AXON_DECLARE_KERNEL(uniform_kernel, UniformKernelFn);
AXON_DECLARE_KERNEL(bernoulli_kernel, BernoulliKernelFn);
AXON_DECLARE_KERNEL(normal_kernel, NormalKernelFn);
AXON_DECLARE_KERNEL(random_range_kernel, RandomRangeKernelFn);
AXON_DECLARE_KERNEL(randperm_kernel, RandpermKernelFn);

}  // namespace axon::kernels
