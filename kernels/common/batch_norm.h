#pragma once
// Batch normalisation over the channels of a contiguous [N, C, S] input (S = spatial size, 1 for
// 2-D input). Statistics are accumulated in double without cancellation for large means: the CPU
// makes two passes (mean, then squared deviations), CUDA merges Welford partials (Chan et al.).
// mean/invstd are contiguous [C]; weight, bias and the running statistics may have any stride.

#include <cstdint>
#include <type_traits>

#include "axon/tensor.h"
#include "core/dispatch.h"
#include "kernels/common/macros.h"
#include "kernels/common/math.h"

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

// ---- Per-channel arithmetic, shared by the CPU and CUDA kernels --------------------------------

// A [C] vector of any stride, or none (data null).
template <typename T>
struct ChannelVector {
  T* data = nullptr;
  int64_t stride = 0;
  AXON_HOST_DEVICE T* at(int64_t c) const { return data ? data + c * stride : nullptr; }
  AXON_HOST_DEVICE T get(int64_t c, T fallback) const { return data ? data[c * stride] : fallback; }
};

template <typename T>
ChannelVector<T> channel_vector(const Tensor& t) {
  if (!t.defined()) return {};
  return {t.data_ptr<std::remove_const_t<T>>(), t.stride(0)};
}

// The statistics pass's outputs for one channel, from its mean (as stored) and the sum of squared
// deviations var_sum over count values; running stats (if any) take the unbiased variance.
template <typename T>
AXON_HOST_DEVICE void store_channel_stats(T mean, double var_sum, double count, double momentum,
                                          double eps, T* mean_out, T* invstd_out, T* running_mean,
                                          T* running_var) {
  *mean_out = mean;
  *invstd_out = static_cast<T>(1.0 / ax_sqrt(var_sum / count + eps));
  if (running_mean) {
    *running_mean = static_cast<T>(momentum * static_cast<double>(mean) +
                                   (1 - momentum) * static_cast<double>(*running_mean));
  }
  if (running_var) {
    *running_var = static_cast<T>(momentum * (var_sum / (count - 1)) +
                                  (1 - momentum) * static_cast<double>(*running_var));
  }
}

// The forward as PyTorch folds it per channel: y = x * alpha + beta.
template <typename T>
struct BatchNormAffine {
  T alpha, beta;
  AXON_HOST_DEVICE T operator()(T x) const { return x * alpha + beta; }
};

template <typename T>
AXON_HOST_DEVICE BatchNormAffine<T> batch_norm_affine(T mean, T invstd, T weight, T bias) {
  const T alpha = invstd * weight;
  return {alpha, bias - mean * alpha};
}

// The input gradient in training, per channel, from sum(dy) and dot = sum((x - mean) * dy) over
// its count values: dx = (dy - sum / count - (x - mean) * dot * invstd^2 / count) * invstd * w.
struct BatchNormGradInput {
  double mean, grad_mean, k, invstd, weight;
  AXON_HOST_DEVICE double operator()(double dy, double x) const {
    return (dy - grad_mean - (x - mean) * k) * invstd * weight;
  }
};

AXON_HOST_DEVICE BatchNormGradInput batch_norm_grad_input(double mean, double invstd, double weight,
                                                          double sum, double dot, double count) {
  return {mean, sum / count, dot * invstd * invstd / count, invstd, weight};
}

// The input gradient in eval (mean and invstd are constants): dx = dy * scale.
template <typename T>
AXON_HOST_DEVICE T batch_norm_eval_grad_scale(double invstd, double weight) {
  return static_cast<T>(invstd * weight);
}

// Count, mean and sum of squared deviations of a stream of values (Welford), merged pairwise
// with Chan et al.'s formula: neither subtracts two large sums, so a large mean does not cancel.
struct WelfordStats {
  double count, mean, m2;
};

AXON_HOST_DEVICE void welford_add(WelfordStats& s, double x) {
  s.count += 1;
  const double delta = x - s.mean;
  s.mean += delta / s.count;
  s.m2 += delta * (x - s.mean);
}

AXON_HOST_DEVICE WelfordStats welford_combine(const WelfordStats& a, const WelfordStats& b) {
  const double count = a.count + b.count;
  if (count == 0) return a;
  const double delta = b.mean - a.mean;
  const double b_share = b.count / count;
  return {count, a.mean + delta * b_share, a.m2 + b.m2 + delta * delta * a.count * b_share};
}

AXON_DECLARE_KERNEL(batch_norm_stats_kernel, BatchNormStatsKernelFn);
AXON_DECLARE_KERNEL(batch_norm_apply_kernel, BatchNormApplyKernelFn);
AXON_DECLARE_KERNEL(batch_norm_backward_kernel, BatchNormBackwardKernelFn);

}  // namespace axon::kernels
