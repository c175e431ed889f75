#pragma once
// Marks code shared by the CPU and CUDA backends: element functors compile for both.

#if defined(__CUDACC__)
#define AXON_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define AXON_HOST_DEVICE inline
#endif
