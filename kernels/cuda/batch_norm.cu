// CUDA batch norm over a contiguous [N, C, S] input.
//
// Per-channel reductions run in two levels, both in double: a grid of (blocks per channel, C)
// blocks, each reducing its share of the channel's N * S values to one partial, then one block
// per channel combining that channel's partials. The statistics are Welford partials merged with
// Chan et al.'s formula (kernels/common/batch_norm.h), so an input with a large mean (1e4 plus
// unit noise) keeps its variance; the backward's partials are plain sums of dy and
// (x - mean) * dy. The partition depends on the shape only, so results are deterministic. The
// per-channel outputs and per-element formulas are the CPU's (the shared helpers).
//
// Launched on the current stream of the tensors' device; scratch buffers come from the caching
// allocator. Only compiled so far: not yet run on a GPU.
#include <algorithm>

#include "axon/functions.h"
#include "kernels/common/batch_norm.h"
#include "kernels/common/dtype_dispatch.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::BatchNormGradInput;
using kernels::BatchNormShape;
using kernels::channel_vector;
using kernels::ChannelVector;
using kernels::WelfordStats;

constexpr int kThreads = 256;             // a power of two: block_reduce halves it
constexpr int64_t kMaxGrid = 65535;       // per grid dimension; loops stride over the rest
constexpr int64_t kPartialBlocks = 1024;  // blocks of the first level, over all channels

struct GradSums {
  double sum, dot;  // sum(dy) and sum((x - mean) * dy)
};

unsigned grid_for(int64_t n) { return static_cast<unsigned>(std::min(n, kMaxGrid)); }

unsigned elementwise_blocks(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65536));
}

// Blocks per channel of the first level: about 8 values per thread, and about kPartialBlocks
// blocks in all, so that few channels of many values still fill the GPU.
int64_t partial_blocks(const BatchNormShape& s) {
  const int64_t by_work = (s.n * s.s + kThreads * 8 - 1) / (kThreads * 8);
  const int64_t by_grid = kPartialBlocks / std::max<int64_t>(s.c, 1);
  return std::clamp<int64_t>(std::min(by_work, by_grid), 1, kPartialBlocks);
}

// A scratch buffer of n values of type T (a struct of doubles), from the caching allocator; it
// may be freed once the kernels using it are queued, as the allocator reuses blocks only on the
// same stream.
template <typename T>
Tensor scratch(int64_t n, const Device& device) {
  static_assert(sizeof(T) % sizeof(double) == 0 && alignof(T) == alignof(double));
  return empty({n * static_cast<int64_t>(sizeof(T) / sizeof(double))},
               TensorOptions(kFloat64).device(device));
}

// Calls f(offset) for the values of channel c that thread t of `step` threads owns: the channel's
// j-th value (j = t, t + step, ...) sits at (n * C + c) * S + i for j = n * S + i, and (n, i) step
// forward without a division per value.
template <typename F>
__device__ void for_channel_values(const BatchNormShape& s, int64_t c, int64_t t, int64_t step,
                                   F&& f) {
  const int64_t count = s.n * s.s;
  if (t >= count) return;
  int64_t n = t / s.s, i = t - n * s.s;
  const int64_t step_n = step / s.s, step_i = step - step_n * s.s;
  for (int64_t j = t; j < count; j += step) {
    f((n * s.c + c) * s.s + i);
    n += step_n;
    i += step_i;
    if (i >= s.s) {
      i -= s.s;
      ++n;
    }
  }
}

// Combines every thread's value in a fixed tree order; the result is valid in thread 0. All
// threads of the block must call it.
template <typename Acc, typename Combine>
__device__ Acc block_reduce(Acc value, Acc* shared, Combine combine) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) {
      shared[threadIdx.x] = combine(shared[threadIdx.x], shared[threadIdx.x + half]);
    }
    __syncthreads();
  }
  value = shared[0];
  __syncthreads();  // `shared` is reused by the caller's next channel
  return value;
}

struct CombineStats {
  __device__ WelfordStats operator()(const WelfordStats& a, const WelfordStats& b) const {
    return kernels::welford_combine(a, b);
  }
};

struct AddSums {
  __device__ GradSums operator()(const GradSums& a, const GradSums& b) const {
    return {a.sum + b.sum, a.dot + b.dot};
  }
};

// ---- statistics ---------------------------------------------------------------------------

// partials[c * gridDim.x + blockIdx.x]: the Welford statistics of block blockIdx.x's share.
template <typename T>
__global__ void stats_partials(const T* x, BatchNormShape s, WelfordStats* partials) {
  __shared__ WelfordStats shared[kThreads];
  for (int64_t c = blockIdx.y; c < s.c; c += gridDim.y) {
    WelfordStats acc{0, 0, 0};
    for_channel_values(s, c, blockIdx.x * int64_t{kThreads} + threadIdx.x,
                       int64_t{gridDim.x} * kThreads,
                       [&](int64_t k) { kernels::welford_add(acc, static_cast<double>(x[k])); });
    acc = block_reduce(acc, shared, CombineStats{});
    if (threadIdx.x == 0) partials[c * gridDim.x + blockIdx.x] = acc;
  }
}

template <typename T>
__global__ void stats_finalize(const WelfordStats* partials, int64_t blocks, int64_t channels,
                               T* mean, T* invstd, ChannelVector<T> running_mean,
                               ChannelVector<T> running_var, double momentum, double eps) {
  __shared__ WelfordStats shared[kThreads];
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    WelfordStats acc{0, 0, 0};
    for (int64_t b = threadIdx.x; b < blocks; b += kThreads) {
      acc = kernels::welford_combine(acc, partials[c * blocks + b]);
    }
    acc = block_reduce(acc, shared, CombineStats{});
    if (threadIdx.x == 0) {
      kernels::store_channel_stats(static_cast<T>(acc.mean), acc.m2, acc.count, momentum, eps,
                                   &mean[c], &invstd[c], running_mean.at(c), running_var.at(c));
    }
  }
}

void stats_cuda(const Tensor& input, const BatchNormShape& s, const Tensor& mean,
                const Tensor& invstd, const Tensor& running_mean, const Tensor& running_var,
                double momentum, double eps) {
  if (s.c == 0) return;
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(input.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t blocks = partial_blocks(s);
    Tensor buffer = scratch<WelfordStats>(s.c * blocks, input.device());
    auto* partials = reinterpret_cast<WelfordStats*>(buffer.data_ptr<double>());
    const dim3 grid(static_cast<unsigned>(blocks), grid_for(s.c));
    stats_partials<T><<<grid, kThreads, 0, current_stream()>>>(input.data_ptr<T>(), s, partials);
    AXON_CUDA_LAUNCH_CHECK();
    stats_finalize<T><<<grid_for(s.c), kThreads, 0, current_stream()>>>(
        partials, blocks, s.c, mean.data_ptr<T>(), invstd.data_ptr<T>(),
        channel_vector<T>(running_mean), channel_vector<T>(running_var), momentum, eps);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

// ---- forward --------------------------------------------------------------------------------

#define AXON_GRID_STRIDE_LOOP(i, n)                                         \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void apply_elements(const T* x, T* y, BatchNormShape s, const T* mean, const T* invstd,
                               ChannelVector<const T> weight, ChannelVector<const T> bias) {
  AXON_GRID_STRIDE_LOOP(e, s.n * s.c * s.s) {
    const int64_t c = (e / s.s) % s.c;
    y[e] = kernels::batch_norm_affine(mean[c], invstd[c], weight.get(c, T(1)),
                                      bias.get(c, T(0)))(x[e]);
  }
}

void apply_cuda(const Tensor& out, const Tensor& input, const BatchNormShape& s, const Tensor& mean,
                const Tensor& invstd, const Tensor& weight, const Tensor& bias) {
  const int64_t numel = s.n * s.c * s.s;
  if (numel == 0) return;
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(input.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    apply_elements<T><<<elementwise_blocks(numel), kThreads, 0, current_stream()>>>(
        input.data_ptr<T>(), out.data_ptr<T>(), s, mean.data_ptr<T>(), invstd.data_ptr<T>(),
        channel_vector<const T>(weight), channel_vector<const T>(bias));
    AXON_CUDA_LAUNCH_CHECK();
  });
}

// ---- backward -------------------------------------------------------------------------------

template <typename T>
__global__ void grad_partials(const T* dy, const T* x, const T* mean, BatchNormShape s,
                              GradSums* partials) {
  __shared__ GradSums shared[kThreads];
  for (int64_t c = blockIdx.y; c < s.c; c += gridDim.y) {
    const double mean_c = mean[c];
    GradSums acc{0, 0};
    for_channel_values(s, c, blockIdx.x * int64_t{kThreads} + threadIdx.x,
                       int64_t{gridDim.x} * kThreads, [&](int64_t k) {
                         const double g = dy[k];
                         acc.sum += g;
                         acc.dot += (static_cast<double>(x[k]) - mean_c) * g;
                       });
    acc = block_reduce(acc, shared, AddSums{});
    if (threadIdx.x == 0) partials[c * gridDim.x + blockIdx.x] = acc;
  }
}

// grad_weight, grad_bias and (when `coefficients` is given) the training input gradient's
// per-channel coefficients, from the partials.
template <typename T>
__global__ void grad_finalize(const GradSums* partials, int64_t blocks, BatchNormShape s,
                              const T* mean, const T* invstd, ChannelVector<const T> weight,
                              T* grad_weight, T* grad_bias, BatchNormGradInput* coefficients) {
  __shared__ GradSums shared[kThreads];
  for (int64_t c = blockIdx.x; c < s.c; c += gridDim.x) {
    GradSums acc{0, 0};
    for (int64_t b = threadIdx.x; b < blocks; b += kThreads) {
      acc = AddSums{}(acc, partials[c * blocks + b]);
    }
    acc = block_reduce(acc, shared, AddSums{});
    if (threadIdx.x != 0) continue;
    const double invstd_c = invstd[c];
    if (grad_weight != nullptr) grad_weight[c] = static_cast<T>(acc.dot * invstd_c);
    if (grad_bias != nullptr) grad_bias[c] = static_cast<T>(acc.sum);
    if (coefficients != nullptr) {
      coefficients[c] = kernels::batch_norm_grad_input(
          mean[c], invstd_c, static_cast<double>(weight.get(c, T(1))), acc.sum, acc.dot,
          static_cast<double>(s.n * s.s));
    }
  }
}

template <typename T>
__global__ void grad_input_training(const T* dy, const T* x, BatchNormShape s,
                                    const BatchNormGradInput* coefficients, T* dx) {
  AXON_GRID_STRIDE_LOOP(e, s.n * s.c * s.s) {
    const int64_t c = (e / s.s) % s.c;
    dx[e] = static_cast<T>(coefficients[c](dy[e], x[e]));
  }
}

template <typename T>
__global__ void grad_input_eval(const T* dy, BatchNormShape s, const T* invstd,
                                ChannelVector<const T> weight, T* dx) {
  AXON_GRID_STRIDE_LOOP(e, s.n * s.c * s.s) {
    const int64_t c = (e / s.s) % s.c;
    dx[e] = dy[e] * kernels::batch_norm_eval_grad_scale<T>(
                        invstd[c], static_cast<double>(weight.get(c, T(1))));
  }
}

#undef AXON_GRID_STRIDE_LOOP

void backward_cuda(const Tensor& grad_out, const Tensor& input, const BatchNormShape& s,
                   const Tensor& mean, const Tensor& invstd, const Tensor& weight, bool training,
                   const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias) {
  if (s.c == 0) return;
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(input.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t numel = s.n * s.c * s.s;
    const bool input_grad = grad_input.defined() && numel > 0;
    const bool coefficients_needed = training && input_grad;
    const ChannelVector<const T> w = channel_vector<const T>(weight);
    Tensor coefficient_buffer;
    BatchNormGradInput* coefficients = nullptr;
    if (coefficients_needed) {
      coefficient_buffer = scratch<BatchNormGradInput>(s.c, input.device());
      coefficients = reinterpret_cast<BatchNormGradInput*>(coefficient_buffer.data_ptr<double>());
    }
    if (grad_weight.defined() || grad_bias.defined() || coefficients_needed) {
      const int64_t blocks = partial_blocks(s);
      Tensor buffer = scratch<GradSums>(s.c * blocks, input.device());
      auto* partials = reinterpret_cast<GradSums*>(buffer.data_ptr<double>());
      const dim3 grid(static_cast<unsigned>(blocks), grid_for(s.c));
      grad_partials<T><<<grid, kThreads, 0, current_stream()>>>(
          grad_out.data_ptr<T>(), input.data_ptr<T>(), mean.data_ptr<T>(), s, partials);
      AXON_CUDA_LAUNCH_CHECK();
      grad_finalize<T><<<grid_for(s.c), kThreads, 0, current_stream()>>>(
          partials, blocks, s, mean.data_ptr<T>(), invstd.data_ptr<T>(), w,
          grad_weight.defined() ? grad_weight.data_ptr<T>() : nullptr,
          grad_bias.defined() ? grad_bias.data_ptr<T>() : nullptr, coefficients);
      AXON_CUDA_LAUNCH_CHECK();
    }
    if (!input_grad) return;
    if (training) {
      grad_input_training<T><<<elementwise_blocks(numel), kThreads, 0, current_stream()>>>(
          grad_out.data_ptr<T>(), input.data_ptr<T>(), s, coefficients, grad_input.data_ptr<T>());
    } else {
      grad_input_eval<T><<<elementwise_blocks(numel), kThreads, 0, current_stream()>>>(
          grad_out.data_ptr<T>(), s, invstd.data_ptr<T>(), w, grad_input.data_ptr<T>());
    }
    AXON_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::batch_norm_stats_kernel, CUDA, &stats_cuda);
AXON_REGISTER_KERNEL(kernels::batch_norm_apply_kernel, CUDA, &apply_cuda);
AXON_REGISTER_KERNEL(kernels::batch_norm_backward_kernel, CUDA, &backward_cuda);

}  // namespace axon::cuda_backend
