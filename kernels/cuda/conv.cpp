// CUDA convolutions through cuDNN 9's legacy convolution API.
//
// Note [cuDNN convolution plans]: a plan holds, for one shape (every Conv2dParams field, the
// dtype and the TF32 switch), the tensor, filter and convolution descriptors and, for each
// direction (forward, backward data, backward filter) from its first call on, the algorithms
// cuDNN's heuristics rank for it (cudnnGet*Algorithm_v7), each with its math type and workspace
// size. A call runs the first of them whose workspace the caching allocator can give; one whose
// workspace cannot be had is passed over from then on. Each device has its own map of plans and
// its own cuDNN handle, both kept for the life of the process and guarded by one mutex: a handle
// must not be used by two threads at once, and every call binds it to the current stream first.
//
// Math type: float32 runs with CUDNN_FMA_MATH (no tensor-core rounding) unless allow_tf32(), then
// with the math type cuDNN ranked the algorithm under (the descriptor's CUDNN_DEFAULT_MATH lets
// cuDNN use TF32 tensor cores on Ampere and later); float64 with CUDNN_DEFAULT_MATH. The switch is
// part of the plan's key. (NVIDIA_TF32_OVERRIDE=0 in the environment turns TF32 off regardless.)
//
// cuDNN's descriptors take int sizes and strides: a batch whose tensors have 2^31 elements or
// more runs in slices of whole images, the filter and bias gradients accumulating across slices.
// A convolution that sums over nothing (no input channels, an empty kernel or an empty image) is
// not given to cuDNN: its output is the bias (or 0), its input and weight gradients are 0.
#include "kernels/common/conv.h"

#include <cudnn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "axon/backends.h"
#include "core/cuda_hooks.h"
#include "core/tensor_utils.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::Conv2dParams;

constexpr int kMaxDevices = 128;  // Device's index is an int8_t

std::atomic<int64_t> algorithm_searches{0};

// ---- descriptors ------------------------------------------------------------------------------

struct TensorDescDeleter {
  void operator()(cudnnTensorStruct* d) const { (void)cudnnDestroyTensorDescriptor(d); }
};
struct FilterDescDeleter {
  void operator()(cudnnFilterStruct* d) const { (void)cudnnDestroyFilterDescriptor(d); }
};
struct ConvDescDeleter {
  void operator()(cudnnConvolutionStruct* d) const { (void)cudnnDestroyConvolutionDescriptor(d); }
};
using TensorDesc = std::unique_ptr<cudnnTensorStruct, TensorDescDeleter>;
using FilterDesc = std::unique_ptr<cudnnFilterStruct, FilterDescDeleter>;
using ConvDesc = std::unique_ptr<cudnnConvolutionStruct, ConvDescDeleter>;

int as_int(int64_t value, const char* what) {
  AXON_CHECK(value <= INT_MAX, "conv2d: {} = {} is beyond cuDNN's 32-bit limit", what, value);
  return static_cast<int>(value);
}

cudnnDataType_t data_type(DType dtype) {
  AXON_CHECK(dtype == DType::Float32 || dtype == DType::Float64,
             "conv2d: expected a floating-point tensor, got {}", dtype);
  return dtype == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

TensorDesc tensor_desc(cudnnDataType_t type, int64_t n, int64_t c, int64_t h, int64_t w) {
  cudnnTensorDescriptor_t raw = nullptr;
  AXON_CUDNN_CHECK(cudnnCreateTensorDescriptor(&raw));
  TensorDesc desc(raw);
  AXON_CUDNN_CHECK(cudnnSetTensor4dDescriptor(raw, CUDNN_TENSOR_NCHW, type, as_int(n, "batch"),
                                              as_int(c, "channels"), as_int(h, "height"),
                                              as_int(w, "width")));
  return desc;
}

// ---- plans ------------------------------------------------------------------------------------

template <typename Algo>
struct Candidate {
  Algo algo;
  cudnnMathType_t math;
  size_t workspace;  // bytes
};

// One direction's algorithms in cuDNN's ranking; `chosen` is the first still worth trying.
template <typename Algo>
struct Candidates {
  std::vector<Candidate<Algo>> list;
  size_t chosen = 0;
};

struct Plan {
  Conv2dParams params;
  DType dtype = DType::Float32;
  bool fma_only = false;  // float32 without TF32
  TensorDesc output, bias;
  // Unset when the convolution sums over nothing.
  TensorDesc input;
  FilterDesc weight;
  ConvDesc conv;
  std::optional<Candidates<cudnnConvolutionFwdAlgo_t>> forward;
  std::optional<Candidates<cudnnConvolutionBwdDataAlgo_t>> backward_data;
  std::optional<Candidates<cudnnConvolutionBwdFilterAlgo_t>> backward_filter;
};

bool sums_over_nothing(const Conv2dParams& p) {
  return p.in_channels == 0 || p.kernel_h == 0 || p.kernel_w == 0 || p.in_h == 0 || p.in_w == 0;
}

std::unique_ptr<Plan> make_plan(const Conv2dParams& p, DType dtype, bool tf32) {
  auto plan = std::make_unique<Plan>();
  plan->params = p;
  plan->dtype = dtype;
  plan->fma_only = dtype == DType::Float32 && !tf32;
  const cudnnDataType_t type = data_type(dtype);
  plan->output = tensor_desc(type, p.batch, p.out_channels, p.out_h, p.out_w);
  plan->bias = tensor_desc(type, 1, p.out_channels, 1, 1);
  if (sums_over_nothing(p)) return plan;
  plan->input = tensor_desc(type, p.batch, p.in_channels, p.in_h, p.in_w);
  cudnnFilterDescriptor_t filter = nullptr;
  AXON_CUDNN_CHECK(cudnnCreateFilterDescriptor(&filter));
  plan->weight.reset(filter);
  AXON_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
      filter, type, CUDNN_TENSOR_NCHW, as_int(p.out_channels, "out_channels"),
      as_int(p.in_channels / p.groups, "in_channels / groups"), as_int(p.kernel_h, "kernel height"),
      as_int(p.kernel_w, "kernel width")));
  cudnnConvolutionDescriptor_t conv = nullptr;
  AXON_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
  plan->conv.reset(conv);
  AXON_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      conv, as_int(p.pad_h, "padding"), as_int(p.pad_w, "padding"), as_int(p.stride_h, "stride"),
      as_int(p.stride_w, "stride"), as_int(p.dilation_h, "dilation"),
      as_int(p.dilation_w, "dilation"), CUDNN_CROSS_CORRELATION, type));
  AXON_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, as_int(p.groups, "groups")));
  AXON_CUDNN_CHECK(
      cudnnSetConvolutionMathType(conv, plan->fma_only ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  return plan;
}

// Every Conv2dParams field, the dtype and the TF32 switch.
using PlanKey = std::array<int64_t, 18>;
static_assert(std::is_trivially_copyable_v<Conv2dParams> &&
                  sizeof(Conv2dParams) == 16 * sizeof(int64_t),
              "plan_key copies Conv2dParams as its 16 int64 fields");

PlanKey plan_key(const Conv2dParams& p, DType dtype, bool tf32) {
  PlanKey key{};
  std::memcpy(key.data(), &p, sizeof(p));
  key[16] = static_cast<int64_t>(dtype);
  key[17] = tf32;
  return key;
}

struct PlanKeyHash {
  size_t operator()(const PlanKey& key) const {
    size_t h = 0;
    for (int64_t v : key) h = h * 1000003 ^ std::hash<int64_t>{}(v);
    return h;
  }
};

struct DeviceState {
  std::mutex mutex;
  cudnnHandle_t handle = nullptr;
  std::unordered_map<PlanKey, std::unique_ptr<Plan>, PlanKeyHash> plans;
};

DeviceState& device_state(int device) {
  // Never destroyed: destroying handles at exit would race the driver's own teardown.
  static auto* states = new std::array<DeviceState, kMaxDevices>();
  return (*states)[device];
}

// The device's cuDNN state for one kernel call: locked, its handle bound to the current stream.
class Session {
 public:
  explicit Session(int device)
      : device_(device), state_(device_state(device)), lock_(state_.mutex) {
    if (state_.handle == nullptr) AXON_CUDNN_CHECK(cudnnCreate(&state_.handle));
    AXON_CUDNN_CHECK(cudnnSetStream(state_.handle, current_stream(device)));
  }

  int device() const { return device_; }
  cudnnHandle_t handle() const { return state_.handle; }
  cudaStream_t stream() const { return current_stream(device_); }

  Plan& plan(const Conv2dParams& p, DType dtype) {
    const bool tf32 = dtype == DType::Float32 && allow_tf32();
    std::unique_ptr<Plan>& slot = state_.plans[plan_key(p, dtype, tf32)];
    if (slot == nullptr) slot = make_plan(p, dtype, tf32);
    return *slot;
  }

 private:
  int device_;
  DeviceState& state_;
  std::lock_guard<std::mutex> lock_;
};

// ---- the three directions ---------------------------------------------------------------------

struct Forward {
  using Algo = cudnnConvolutionFwdAlgo_t;
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  static constexpr const char* kName = "forward";
  static std::optional<Candidates<Algo>>& candidates(Plan& plan) { return plan.forward; }
  static std::vector<Perf> heuristics(cudnnHandle_t handle, const Plan& plan) {
    int count = 0;
    AXON_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &count));
    std::vector<Perf> perfs(static_cast<size_t>(std::max(count, 1)));
    AXON_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
        handle, plan.input.get(), plan.weight.get(), plan.conv.get(), plan.output.get(), count,
        &count, perfs.data()));
    perfs.resize(static_cast<size_t>(count));
    return perfs;
  }
  static cudnnStatus_t workspace(cudnnHandle_t handle, const Plan& plan, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(handle, plan.input.get(), plan.weight.get(),
                                                   plan.conv.get(), plan.output.get(), algo, bytes);
  }
};

struct BackwardData {
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  static constexpr const char* kName = "backward data";
  static std::optional<Candidates<Algo>>& candidates(Plan& plan) { return plan.backward_data; }
  static std::vector<Perf> heuristics(cudnnHandle_t handle, const Plan& plan) {
    int count = 0;
    AXON_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &count));
    std::vector<Perf> perfs(static_cast<size_t>(std::max(count, 1)));
    AXON_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, plan.weight.get(), plan.output.get(), plan.conv.get(), plan.input.get(), count,
        &count, perfs.data()));
    perfs.resize(static_cast<size_t>(count));
    return perfs;
  }
  static cudnnStatus_t workspace(cudnnHandle_t handle, const Plan& plan, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(handle, plan.weight.get(),
                                                        plan.output.get(), plan.conv.get(),
                                                        plan.input.get(), algo, bytes);
  }
};

struct BackwardFilter {
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  static constexpr const char* kName = "backward filter";
  static std::optional<Candidates<Algo>>& candidates(Plan& plan) { return plan.backward_filter; }
  static std::vector<Perf> heuristics(cudnnHandle_t handle, const Plan& plan) {
    int count = 0;
    AXON_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &count));
    std::vector<Perf> perfs(static_cast<size_t>(std::max(count, 1)));
    AXON_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle, plan.input.get(), plan.output.get(), plan.conv.get(), plan.weight.get(), count,
        &count, perfs.data()));
    perfs.resize(static_cast<size_t>(count));
    return perfs;
  }
  static cudnnStatus_t workspace(cudnnHandle_t handle, const Plan& plan, Algo algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, plan.input.get(),
                                                          plan.output.get(), plan.conv.get(),
                                                          plan.weight.get(), algo, bytes);
  }
};

std::string describe(const Conv2dParams& p, DType dtype) {
  return fmt::format(
      "input [{}, {}, {}, {}], weight [{}, {}, {}, {}], stride ({}, {}), padding ({}, {}), "
      "dilation ({}, {}), groups {}, {}",
      p.batch, p.in_channels, p.in_h, p.in_w, p.out_channels, p.in_channels / p.groups, p.kernel_h,
      p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w, p.groups,
      dtype);
}

// The direction's algorithms in cuDNN's ranking that it accepts under the plan's math rule.
template <typename Direction>
Candidates<typename Direction::Algo> search(cudnnHandle_t handle, Plan& plan) {
  algorithm_searches.fetch_add(1, std::memory_order_relaxed);
  Candidates<typename Direction::Algo> found;
  cudnnStatus_t last = CUDNN_STATUS_SUCCESS;
  for (const auto& perf : Direction::heuristics(handle, plan)) {
    if (perf.status != CUDNN_STATUS_SUCCESS) {
      last = perf.status;
      continue;
    }
    // An algorithm runs under the math type it was ranked with, except that float32 without
    // TF32 always gets FMA math (which is what the descriptor asked the heuristics for).
    const cudnnMathType_t math = plan.fma_only ? CUDNN_FMA_MATH : perf.mathType;
    AXON_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv.get(), math));
    size_t bytes = 0;
    last = Direction::workspace(handle, plan, perf.algo, &bytes);
    if (last == CUDNN_STATUS_SUCCESS) found.list.push_back({perf.algo, math, bytes});
  }
  AXON_CHECK(!found.list.empty(), "conv2d: cuDNN has no {} algorithm for {} (last status: {})",
             Direction::kName, describe(plan.params, plan.dtype), cudnnGetErrorString(last));
  return found;
}

// Runs `launch(algo, workspace, bytes)` with the first candidate whose workspace the caching
// allocator can give, and keeps that choice for the next call.
template <typename Direction, typename Launch>
void run(Session& session, Plan& plan, Launch&& launch) {
  auto& found = Direction::candidates(plan);
  if (!found) found = search<Direction>(session.handle(), plan);
  for (size_t i = found->chosen; i < found->list.size(); ++i) {
    const auto& candidate = found->list[i];
    Tensor workspace;
    if (candidate.workspace > 0) {
      try {
        workspace = detail::empty_tensor({static_cast<int64_t>(candidate.workspace)}, DType::UInt8,
                                         Device(kCUDA, static_cast<int8_t>(session.device())));
      } catch (const Error&) {
        if (i + 1 == found->list.size()) throw;  // the last one: report the allocator's error
        continue;
      }
    }
    found->chosen = i;
    AXON_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv.get(), candidate.math));
    // The workspace goes back to the allocator on return, for reuse on this same stream only,
    // so the queued convolution is done with it first.
    launch(candidate.algo, workspace.defined() ? workspace.data_ptr() : nullptr,
           candidate.workspace);
    return;
  }
}

// ---- kernels ----------------------------------------------------------------------------------

// cuDNN's scaling factors are double for double data, float otherwise.
const void* scale(DType dtype, int value) {
  static constexpr float kFloat[] = {0.0f, 1.0f};
  static constexpr double kDouble[] = {0.0, 1.0};
  return dtype == DType::Float64 ? static_cast<const void*>(&kDouble[value])
                                 : static_cast<const void*>(&kFloat[value]);
}

// Images per cuDNN call: as many as keep every tensor under 2^31 elements.
int64_t images_per_call(const Conv2dParams& p) {
  const int64_t largest =
      std::max({p.in_channels * p.in_h * p.in_w, p.out_channels * p.out_h * p.out_w, int64_t{1}});
  as_int(largest, "the elements of one image");
  as_int(p.out_channels * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w,
         "the elements of the weight");
  return std::max<int64_t>(1, std::min<int64_t>(p.batch, INT_MAX / largest));
}

// Image `first` of a contiguous NCHW tensor whose images have `image_elements` elements.
char* image(const Tensor& t, int64_t first, int64_t image_elements) {
  return static_cast<char*>(t.data_ptr()) +
         first * image_elements * static_cast<int64_t>(t.element_size());
}

void zero(const Tensor& t, cudaStream_t stream) {
  if (t.defined() && t.numel() > 0) {
    AXON_CUDA_CHECK(cudaMemsetAsync(t.data_ptr(), 0, t.nbytes(), stream));
  }
}

void forward_cuda(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Conv2dParams& p) {
  const int device = resolve_device(out.device().index());
  DeviceGuard guard(device);
  if (out.numel() == 0) return;
  const DType dtype = input.dtype();
  const int64_t in_image = p.in_channels * p.in_h * p.in_w;
  const int64_t out_image = p.out_channels * p.out_h * p.out_w;
  const int64_t step = images_per_call(p);
  Session session(device);
  for (int64_t first = 0; first < p.batch; first += step) {
    Conv2dParams slice = p;
    slice.batch = std::min(step, p.batch - first);
    Plan& plan = session.plan(slice, dtype);
    void* y = image(out, first, out_image);
    if (plan.conv == nullptr) {
      AXON_CUDA_CHECK(
          cudaMemsetAsync(y, 0, static_cast<size_t>(slice.batch * out_image) * out.element_size(),
                          session.stream()));
    } else {
      const void* x = image(input, first, in_image);
      run<Forward>(session, plan, [&](cudnnConvolutionFwdAlgo_t algo, void* ws, size_t bytes) {
        AXON_CUDNN_CHECK(cudnnConvolutionForward(session.handle(), scale(dtype, 1),
                                                 plan.input.get(), x, plan.weight.get(),
                                                 weight.data_ptr(), plan.conv.get(), algo, ws,
                                                 bytes, scale(dtype, 0), plan.output.get(), y));
      });
    }
    if (bias.defined()) {
      AXON_CUDNN_CHECK(cudnnAddTensor(session.handle(), scale(dtype, 1), plan.bias.get(),
                                      bias.data_ptr(), scale(dtype, 1), plan.output.get(), y));
    }
  }
}

void backward_input_cuda(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                         const Conv2dParams& p) {
  const int device = resolve_device(grad_input.device().index());
  DeviceGuard guard(device);
  if (grad_input.numel() == 0) return;
  if (sums_over_nothing(p)) {
    zero(grad_input, current_stream(device));
    return;
  }
  const DType dtype = grad_output.dtype();
  const int64_t in_image = p.in_channels * p.in_h * p.in_w;
  const int64_t out_image = p.out_channels * p.out_h * p.out_w;
  const int64_t step = images_per_call(p);
  Session session(device);
  for (int64_t first = 0; first < p.batch; first += step) {
    Conv2dParams slice = p;
    slice.batch = std::min(step, p.batch - first);
    Plan& plan = session.plan(slice, dtype);
    const void* dy = image(grad_output, first, out_image);
    void* dx = image(grad_input, first, in_image);
    run<BackwardData>(session, plan,
                      [&](cudnnConvolutionBwdDataAlgo_t algo, void* ws, size_t bytes) {
                        AXON_CUDNN_CHECK(cudnnConvolutionBackwardData(
                            session.handle(), scale(dtype, 1), plan.weight.get(), weight.data_ptr(),
                            plan.output.get(), dy, plan.conv.get(), algo, ws, bytes,
                            scale(dtype, 0), plan.input.get(), dx));
                      });
  }
}

void backward_weight_cuda(const Tensor& grad_weight, const Tensor& grad_bias,
                          const Tensor& grad_output, const Tensor& input, const Conv2dParams& p) {
  const Tensor& any = grad_weight.defined() ? grad_weight : grad_bias;
  if (!any.defined()) return;
  const int device = resolve_device(any.device().index());
  DeviceGuard guard(device);
  const bool weight_wanted = grad_weight.defined() && grad_weight.numel() > 0;
  // Sums over no image, or no product in any image: what is wanted is 0.
  if (p.batch == 0) {
    zero(grad_weight, current_stream(device));
    zero(grad_bias, current_stream(device));
    return;
  }
  if (sums_over_nothing(p)) zero(grad_weight, current_stream(device));
  const DType dtype = grad_output.dtype();
  const int64_t in_image = p.in_channels * p.in_h * p.in_w;
  const int64_t out_image = p.out_channels * p.out_h * p.out_w;
  const int64_t step = images_per_call(p);
  Session session(device);
  for (int64_t first = 0; first < p.batch; first += step) {
    Conv2dParams slice = p;
    slice.batch = std::min(step, p.batch - first);
    Plan& plan = session.plan(slice, dtype);
    const void* dy = image(grad_output, first, out_image);
    const void* accumulate = scale(dtype, first == 0 ? 0 : 1);  // beta: later slices add
    if (weight_wanted && plan.conv != nullptr) {
      const void* x = image(input, first, in_image);
      run<BackwardFilter>(session, plan,
                          [&](cudnnConvolutionBwdFilterAlgo_t algo, void* ws, size_t bytes) {
                            AXON_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
                                session.handle(), scale(dtype, 1), plan.input.get(), x,
                                plan.output.get(), dy, plan.conv.get(), algo, ws, bytes, accumulate,
                                plan.weight.get(), grad_weight.data_ptr()));
                          });
    }
    if (grad_bias.defined()) {
      AXON_CUDNN_CHECK(cudnnConvolutionBackwardBias(session.handle(), scale(dtype, 1),
                                                    plan.output.get(), dy, accumulate,
                                                    plan.bias.get(), grad_bias.data_ptr()));
    }
  }
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::conv2d_forward_kernel, CUDA, &forward_cuda);
AXON_REGISTER_KERNEL(kernels::conv2d_backward_input_kernel, CUDA, &backward_input_cuda);
AXON_REGISTER_KERNEL(kernels::conv2d_backward_weight_kernel, CUDA, &backward_weight_cuda);

}  // namespace axon::cuda_backend

namespace axon::detail {
int64_t cudnn_algorithm_searches() {
  return cuda_backend::algorithm_searches.load(std::memory_order_relaxed);
}
}  // namespace axon::detail
