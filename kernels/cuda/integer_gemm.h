#pragma once
// The int64 matrix product of the CUDA gemm kernel (gemm.cpp): cuBLAS has no integer GEMM.

#include <cuda_runtime.h>

#include "kernels/common/gemm.h"

namespace axon::cuda_backend {

// Queues C = alpha * op(A) @ op(B) + beta * C for every batch on `stream` (int64 elements).
void integer_gemm(const kernels::GemmArgs& args, cudaStream_t stream);

}  // namespace axon::cuda_backend
