// CUDA fused optimizer steps: the per-element updates of kernels/common/optimizer.h over a list
// of parameters per launch. A launch covers up to kMaxTensors parameters, whose pointers travel
// in the kernel argument; each parameter is cut into chunks of kChunk elements, and each thread
// block walks chunks (grid-stride), finding its parameter from the chunk's index. So a model's
// step is a few launches, not one per parameter, and no buffer is copied to the device.
//
// Launched on the current stream of the parameters' device. Only compiled so far: not yet run on
// a GPU.
#include <algorithm>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/optimizer.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::AdamParamTensors;
using kernels::AdamStepOptions;
using kernels::SgdParamTensors;
using kernels::SgdStepOptions;

constexpr int kThreads = 256;
constexpr int kMaxTensors = 32;
constexpr int64_t kChunk = 8192;
constexpr int64_t kMaxBlocks = 65536;

// Up to kMaxTensors parameters, each with kOperands pointers (parameter, gradient, state) and a
// per-parameter value (SGD: first step; Adam: the bias-correction scalars).
template <typename T, int kOperands, typename PerTensor>
struct TensorList {
  using PerTensorType = PerTensor;
  int count = 0;
  int64_t chunk_begin[kMaxTensors + 1] = {};  // first chunk of each tensor; [count]: the total
  int64_t numel[kMaxTensors] = {};
  T* data[kOperands][kMaxTensors] = {};
  PerTensor per_tensor[kMaxTensors] = {};
};

template <typename T, int kOperands, typename PerTensor, typename Update>
__global__ void multi_tensor_step(const __grid_constant__ TensorList<T, kOperands, PerTensor> list,
                                  Update update) {
  const int64_t chunks = list.chunk_begin[list.count];
  for (int64_t chunk = blockIdx.x; chunk < chunks; chunk += gridDim.x) {
    int t = 0;
    while (list.chunk_begin[t + 1] <= chunk) ++t;
    const int64_t begin = (chunk - list.chunk_begin[t]) * kChunk;
    const int64_t end = begin + kChunk < list.numel[t] ? begin + kChunk : list.numel[t];
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) update(list, t, i);
  }
}

// Adds parameters to a list and launches it whenever it is full, and at the end.
template <typename List, typename Update>
class Launcher {
 public:
  Launcher(const Update& update, cudaStream_t stream) : update_(update), stream_(stream) {}
  template <typename Pointers>
  void add(const Pointers& pointers, int64_t numel,
           const typename List::PerTensorType& per_tensor) {
    if (numel == 0) return;
    const int t = list_.count++;
    for (size_t op = 0; op < std::size(pointers); ++op) list_.data[op][t] = pointers[op];
    list_.numel[t] = numel;
    list_.per_tensor[t] = per_tensor;
    list_.chunk_begin[t + 1] = list_.chunk_begin[t] + (numel + kChunk - 1) / kChunk;
    if (list_.count == kMaxTensors) flush();
  }
  void flush() {
    if (list_.count == 0) return;
    const auto blocks = static_cast<unsigned>(std::min(list_.chunk_begin[list_.count], kMaxBlocks));
    multi_tensor_step<<<blocks, kThreads, 0, stream_>>>(list_, update_);
    AXON_CUDA_LAUNCH_CHECK();
    list_ = List{};
  }

 private:
  // The classic 4 KiB limit on kernel arguments, with room for the update's coefficients.
  static_assert(sizeof(List) <= 3584, "a launch's tensor list must fit a kernel argument");
  List list_;
  Update update_;
  cudaStream_t stream_;
};

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// ---- SGD: operands param, grad, momentum_buffer; per tensor: first step ---------------------

template <typename T>
using SgdList = TensorList<T, 3, bool>;

template <typename T>
struct SgdUpdate {
  kernels::SgdCoefficients<T> c;
  __device__ void operator()(const SgdList<T>& l, int t, int64_t i) const {
    T* buf = l.data[2][t];
    kernels::sgd_step_element(c, l.per_tensor[t], l.data[0][t][i], l.data[1][t][i],
                              buf + (buf ? i : 0));
  }
};

void sgd_step_cuda(std::span<const SgdParamTensors> params, const SgdStepOptions& options) {
  if (params.empty()) return;
  const int device = resolve_device(params[0].param.device().index());
  DeviceGuard guard(device);
  kernels::visit_floating_dtype(params[0].param.dtype(), "sgd_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    Launcher<SgdList<T>, SgdUpdate<T>> launcher(SgdUpdate<T>{kernels::sgd_coefficients<T>(options)},
                                                current_stream(device));
    for (const SgdParamTensors& p : params) {
      T* pointers[] = {p.param.data_ptr<T>(), p.grad.data_ptr<T>(),
                       data_or_null<T>(p.momentum_buffer)};
      launcher.add(pointers, p.param.numel(), p.first_step);
    }
    launcher.flush();
  });
}

// ---- Adam: operands param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq; per tensor: scalars ---

template <typename T>
using AdamList = TensorList<T, 5, kernels::AdamStepScalars<T>>;

template <typename T>
struct AdamUpdate {
  kernels::AdamCoefficients<T> c;
  __device__ void operator()(const AdamList<T>& l, int t, int64_t i) const {
    T* max_exp_avg_sq = l.data[4][t];
    kernels::adam_step_element(c, l.per_tensor[t], l.data[0][t][i], l.data[1][t][i],
                               l.data[2][t][i], l.data[3][t][i],
                               max_exp_avg_sq + (max_exp_avg_sq ? i : 0));
  }
};

void adam_step_cuda(std::span<const AdamParamTensors> params, const AdamStepOptions& options) {
  if (params.empty()) return;
  const int device = resolve_device(params[0].param.device().index());
  DeviceGuard guard(device);
  kernels::visit_floating_dtype(params[0].param.dtype(), "adam_step", [&](auto tag) {
    using T = typename decltype(tag)::type;
    Launcher<AdamList<T>, AdamUpdate<T>> launcher(
        AdamUpdate<T>{kernels::adam_coefficients<T>(options)}, current_stream(device));
    for (const AdamParamTensors& p : params) {
      T* pointers[] = {p.param.data_ptr<T>(), p.grad.data_ptr<T>(), p.exp_avg.data_ptr<T>(),
                       p.exp_avg_sq.data_ptr<T>(), data_or_null<T>(p.max_exp_avg_sq)};
      launcher.add(pointers, p.param.numel(), kernels::adam_step_scalars<T>(options, p.step));
    }
    launcher.flush();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::sgd_step_kernel, CUDA, &sgd_step_cuda);
AXON_REGISTER_KERNEL(kernels::adam_step_kernel, CUDA, &adam_step_cuda);

}  // namespace axon::cuda_backend
