// CUDA nll_loss forward and backward, with the CPU's arithmetic: per-sample losses in the input's
// dtype, sums of losses and weights in double.
//
// Targets: a CUDA kernel cannot throw, and checking here would need the host to wait for the
// device, so core (nll_loss in core/ops/loss.cpp) checks the targets of a CUDA input before it
// calls these. A bad target reaching them anyway reads and writes nothing out of bounds: its
// loss is NaN and its gradient row stays zero.
//
// Only compiled so far: not yet run on a GPU.
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/loss.h"
#include "kernels/cuda/reduce.cuh"

namespace axon::cuda_backend {
namespace {

using kernels::NllInputs;

constexpr int kThreads = 256;

template <typename T>
__global__ void nll_loss_per_sample(NllInputs<T> in, T* out, int64_t m) {
  for (int64_t k = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; k < m;
       k += int64_t{gridDim.x} * blockDim.x) {
    T weight_of;
    in.sample(k, out[k], weight_of);
  }
}

struct LossAndWeight {
  double loss;
  double weight;
};

struct LossAndWeightSum {
  static __device__ LossAndWeight identity() { return {0, 0}; }
  static __device__ LossAndWeight combine(LossAndWeight a, LossAndWeight b) {
    return {a.loss + b.loss, a.weight + b.weight};
  }
};

template <typename T>
struct NllSource {
  NllInputs<T> in;
  __device__ LossAndWeight at(int64_t, int64_t m) const {
    T loss, weight_of;
    in.sample(m, loss, weight_of);
    return {static_cast<double>(loss), static_cast<double>(weight_of)};
  }
};

template <typename T>
struct NllSink {
  T* out;  // null: only total_weight
  T* total_weight;
  bool mean;
  __device__ void put(int64_t, LossAndWeight sums) const {
    *total_weight = static_cast<T>(sums.weight);
    if (out == nullptr) return;
    // All samples ignored: 0 / 0 = NaN for the mean, as PyTorch.
    *out =
        mean ? static_cast<T>(sums.loss) / static_cast<T>(sums.weight) : static_cast<T>(sums.loss);
  }
};

void nll_loss_cuda(const Tensor& out, const Tensor& total_weight, const Tensor& input,
                   const Tensor& target, const Tensor& weight, int64_t ignore_index,
                   Reduction::Reduction reduction) {
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(input.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t m = input.size(0);
    const NllInputs<T> in{input.data_ptr<T>(), target.data_ptr<int64_t>(),
                          weight.defined() ? weight.data_ptr<T>() : nullptr, input.size(1),
                          ignore_index};
    // total_weight as the CPU's for every reduction (only Mean's backward reads it); `out` too
    // unless the losses are per sample.
    const bool per_sample = reduction == Reduction::None;
    reduce_middle_dim<LossAndWeightSum>(
        NllSource<T>{in},
        NllSink<T>{per_sample ? nullptr : out.data_ptr<T>(), total_weight.data_ptr<T>(),
                   reduction == Reduction::Mean},
        {1, m, 1}, input.device());
    if (!per_sample || m == 0) return;
    nll_loss_per_sample<<<grid_size(m, kThreads), kThreads, 0, current_stream()>>>(
        in, out.data_ptr<T>(), m);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

template <typename T>
__global__ void nll_loss_backward_rows(T* grad_input, const T* grad, const int64_t* target,
                                       const T* weight, const T* total_weight, int64_t m,
                                       int64_t classes, int64_t ignore_index,
                                       Reduction::Reduction reduction) {
  const T scale = kernels::nll_reduced_scale(grad, total_weight, reduction);
  const int64_t total = m * classes;
  for (int64_t k = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; k < total;
       k += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = k / classes, c = k % classes;
    const int64_t t = target[row];
    T value = T(0);
    if (c == t && t != ignore_index) {
      value = kernels::nll_grad(weight, t, reduction == Reduction::None ? grad[row] : scale);
    }
    grad_input[k] = value;
  }
}

void nll_loss_backward_cuda(const Tensor& grad_input, const Tensor& grad, const Tensor& target,
                            const Tensor& weight, const Tensor& total_weight, int64_t ignore_index,
                            Reduction::Reduction reduction) {
  DeviceGuard guard(resolve_device(grad_input.device().index()));
  kernels::visit_floating_dtype(grad_input.dtype(), "nll_loss_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t m = grad_input.size(0), classes = grad_input.size(1);
    if (m * classes == 0) return;
    nll_loss_backward_rows<<<grid_size(m * classes, kThreads), kThreads, 0, current_stream()>>>(
        grad_input.data_ptr<T>(), grad.data_ptr<T>(), target.data_ptr<int64_t>(),
        weight.defined() ? weight.data_ptr<T>() : nullptr, total_weight.data_ptr<T>(), m, classes,
        ignore_index, reduction);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::nll_loss_kernel, CUDA, &nll_loss_cuda);
AXON_REGISTER_KERNEL(kernels::nll_loss_backward_kernel, CUDA, &nll_loss_backward_cuda);

}  // namespace axon::cuda_backend
