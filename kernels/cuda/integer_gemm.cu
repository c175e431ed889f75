// int64 matrix products on CUDA: one thread per element of C, each running the dot product the
// CPU runs too (kernels::gemm_element). Integer products are rare (indices, counts), so this is
// the plain form, not a tiled one.
#include <algorithm>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/integer_gemm.h"

namespace axon::cuda_backend {
namespace {

constexpr int kThreads = 256;

__global__ void integer_gemm_kernel(kernels::GemmArgs g) {
  const int64_t plane = g.m * g.n;
  const int64_t total = g.batch * plane;
  auto* c = static_cast<int64_t*>(g.c);
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < total;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = e / plane, i = e % plane / g.n, j = e % g.n;
    c[p * g.stride_c + i * g.ldc + j] = kernels::gemm_element<int64_t>(g, p, i, j);
  }
}

}  // namespace

void integer_gemm(const kernels::GemmArgs& args, cudaStream_t stream) {
  const int64_t total = args.batch * args.m * args.n;
  if (total == 0) return;
  const auto blocks =
      static_cast<unsigned>(std::min<int64_t>((total + kThreads - 1) / kThreads, 65536));
  integer_gemm_kernel<<<blocks, kThreads, 0, stream>>>(args);
  AXON_CUDA_LAUNCH_CHECK();
}

}  // namespace axon::cuda_backend
