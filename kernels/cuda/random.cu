// CUDA random fills: Philox4x32-10 streams (kernels/common/philox.h), one per launch, keyed by
// draws from the axon::Generator on the host. Each thread turns one Philox block into a few
// consecutive elements. CUDA numbers differ from the CPU's for the same seed (as in PyTorch);
// their distributions are the same.
//
// randperm has no CUDA kernel: core draws permutations on the CPU and copies them over.
//
// Only compiled so far: not yet run on a GPU.
#include <algorithm>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/philox.h"
#include "kernels/common/random.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::PhiloxStream;

constexpr int kThreads = 256;

template <typename T, typename Fill>
__global__ void philox_fill(T* out, int64_t n, PhiloxStream stream, Fill fill) {
  constexpr int kPerBlock = Fill::kPerBlock;
  const int64_t blocks = (n + kPerBlock - 1) / kPerBlock;
  for (int64_t b = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; b < blocks;
       b += int64_t{gridDim.x} * blockDim.x) {
    T values[kPerBlock];
    fill(stream.block(static_cast<uint64_t>(b)), values);
    const int64_t first = b * kPerBlock;
    for (int k = 0; k < kPerBlock && first + k < n; ++k) out[first + k] = values[k];
  }
}

// Fills the contiguous `out` on its device. The key and offset are drawn here, on the host, under
// the generator's lock (held by core): the launch's numbers depend on them alone, and a fresh
// 128-bit draw per launch keeps launches from reading the same stream.
template <typename T, typename Fill>
void launch_fill(const Tensor& out, Generator& gen, const Fill& fill) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const int device = resolve_device(out.device().index());
  check_not_capturing("a random fill (rand, randn, dropout, ...) on the GPU",
                      "the key drawn now would make every replay repeat the same numbers");
  DeviceGuard guard(device);
  const PhiloxStream stream{gen.random64(), gen.random64()};
  const int64_t blocks = (n + Fill::kPerBlock - 1) / Fill::kPerBlock;
  const auto grid =
      static_cast<unsigned>(std::min<int64_t>((blocks + kThreads - 1) / kThreads, 65536));
  philox_fill<T><<<grid, kThreads, 0, current_stream(device)>>>(out.data_ptr<T>(), n, stream, fill);
  AXON_CUDA_LAUNCH_CHECK();
}

void uniform_cuda(const Tensor& out, double from, double to, Generator& gen) {
  kernels::visit_floating_dtype(out.dtype(), "uniform_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_fill<T>(out, gen, kernels::UniformFill<T>{static_cast<T>(from), static_cast<T>(to)});
  });
}

void normal_cuda(const Tensor& out, double mean, double std, Generator& gen) {
  kernels::visit_floating_dtype(out.dtype(), "normal_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_fill<T>(out, gen, kernels::NormalFill<T>{static_cast<T>(mean), static_cast<T>(std)});
  });
}

void bernoulli_cuda(const Tensor& out, double p, Generator& gen) {
  kernels::visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_fill<T>(out, gen, kernels::BernoulliFill<T>{p});
  });
}

void random_range_cuda(const Tensor& out, int64_t low, int64_t high, Generator& gen) {
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  kernels::visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (range >= (uint64_t{1} << 32)) {
      launch_fill<T>(out, gen, kernels::RandomRangeFill<T, true>{low, range});
    } else {
      launch_fill<T>(out, gen, kernels::RandomRangeFill<T, false>{low, range});
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::uniform_kernel, CUDA, &uniform_cuda);
AXON_REGISTER_KERNEL(kernels::normal_kernel, CUDA, &normal_cuda);
AXON_REGISTER_KERNEL(kernels::bernoulli_kernel, CUDA, &bernoulli_cuda);
AXON_REGISTER_KERNEL(kernels::random_range_kernel, CUDA, &random_range_cuda);

}  // namespace axon::cuda_backend
