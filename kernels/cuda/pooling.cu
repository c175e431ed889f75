// CUDA pooling: one thread per output element (forward) or per input element (backward), in
// grid-stride loops over contiguous NCHW planes. The per-element bodies are the ones the CPU
// kernels run or are tested against (kernels/common/pooling.h).
//
// The backward kernels gather instead of scattering with atomicAdd: each grad_input element sums
// the gradients of the windows holding it, in ascending output order. So nothing needs zeroing
// first, every element is written once, and the sums are deterministic and equal to the CPU's
// bit for bit. With stride >= the window's span ((kernel - 1) * dilation + 1) at most one window
// per dim holds a position, so the gather reads no more than the scatter would; overlapping
// windows (kernel 3, stride 2) cost ceil(span / stride) candidates per dim, a handful of cached
// reads, against atomics whose order (and so whose float sum) changes from run to run.
//
// Launched on the current stream of the tensors' device.
#include <algorithm>

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/pooling.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/grid.cuh"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

using kernels::Pool2dParams;

template <typename T>
__global__ void max_pool_forward(const T* in, T* out, int64_t* indices, Pool2dParams p) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  AXON_GRID_STRIDE_LOOP(i, p.planes * out_plane) {
    const int64_t plane = i / out_plane, o = i - plane * out_plane;
    const int64_t oh = o / p.out_w, ow = o - oh * p.out_w;
    const kernels::MaxPoolResult<T> best = kernels::max_pool_at(in + plane * in_plane, oh, ow, p);
    out[i] = best.value;
    if (indices != nullptr) indices[i] = best.index;
  }
}

template <typename T>
__global__ void max_pool_backward(T* grad_input, const T* grad_output, const int64_t* indices,
                                  Pool2dParams p) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  AXON_GRID_STRIDE_LOOP(i, p.planes * in_plane) {
    const int64_t plane = i / in_plane, pos = i - plane * in_plane;
    const int64_t h = pos / p.in_w, w = pos - h * p.in_w;
    grad_input[i] = kernels::max_pool_grad_at(grad_output + plane * out_plane,
                                              indices + plane * out_plane, h, w, p);
  }
}

// out[plane, o] = grad_input[plane, indices[plane, o]], 0 for an index outside the plane.
template <typename T>
__global__ void max_pool_gather(T* out, const T* grad_input, const int64_t* indices,
                                Pool2dParams p) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  AXON_GRID_STRIDE_LOOP(i, p.planes * out_plane) {
    const int64_t index = indices[i];
    out[i] = index >= 0 && index < in_plane ? grad_input[i / out_plane * in_plane + index] : T(0);
  }
}

template <typename T>
__global__ void avg_pool_forward(bool adaptive, const T* in, T* out, Pool2dParams p) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  AXON_GRID_STRIDE_LOOP(i, p.planes * out_plane) {
    const int64_t plane = i / out_plane, o = i - plane * out_plane;
    const int64_t oh = o / p.out_w, ow = o - oh * p.out_w;
    out[i] = kernels::avg_pool_at(adaptive, in + plane * in_plane, oh, ow, p);
  }
}

template <typename T>
__global__ void avg_pool_backward(bool adaptive, T* grad_input, const T* grad_output,
                                  Pool2dParams p) {
  const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
  AXON_GRID_STRIDE_LOOP(i, p.planes * in_plane) {
    const int64_t plane = i / in_plane, pos = i - plane * in_plane;
    const int64_t h = pos / p.in_w, w = pos - h * p.in_w;
    grad_input[i] = kernels::avg_pool_grad_at(adaptive, grad_output + plane * out_plane, h, w, p);
  }
}

// The launchers: core hands over contiguous tensors on one device (the outputs freshly
// allocated), so each only picks the dtype and launches over the elements it writes.

void max_pool_cuda(const Tensor& out, const Tensor& indices, const Tensor& input,
                   const Pool2dParams& p) {
  const int64_t n = p.planes * p.out_h * p.out_w;
  if (n == 0) return;
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(input.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
    max_pool_forward<T><<<blocks_for(n), kThreads, 0, current_stream()>>>(
        input.data_ptr<T>(), out.data_ptr<T>(), idx, p);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void max_pool_backward_cuda(const Tensor& grad_input, const Tensor& grad_output,
                            const Tensor& indices, const Pool2dParams& p) {
  const int64_t n = p.planes * p.in_h * p.in_w;
  if (n == 0) return;
  DeviceGuard guard(resolve_device(grad_input.device().index()));
  kernels::visit_floating_dtype(grad_input.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_backward<T><<<blocks_for(n), kThreads, 0, current_stream()>>>(
        grad_input.data_ptr<T>(), grad_output.data_ptr<T>(), indices.data_ptr<int64_t>(), p);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void max_pool_gather_cuda(const Tensor& out, const Tensor& grad_input, const Tensor& indices,
                          const Pool2dParams& p) {
  const int64_t n = p.planes * p.out_h * p.out_w;
  if (n == 0) return;
  DeviceGuard guard(resolve_device(out.device().index()));
  kernels::visit_floating_dtype(out.dtype(), "max_pool2d_double_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    max_pool_gather<T><<<blocks_for(n), kThreads, 0, current_stream()>>>(
        out.data_ptr<T>(), grad_input.data_ptr<T>(), indices.data_ptr<int64_t>(), p);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

void avg_pool_cuda(bool adaptive, const Tensor& out, const Tensor& input, const Pool2dParams& p) {
  const int64_t n = p.planes * p.out_h * p.out_w;
  if (n == 0) return;
  DeviceGuard guard(resolve_device(input.device().index()));
  kernels::visit_floating_dtype(
      input.dtype(), adaptive ? "adaptive_avg_pool2d" : "avg_pool2d", [&](auto tag) {
        using T = typename decltype(tag)::type;
        avg_pool_forward<T><<<blocks_for(n), kThreads, 0, current_stream()>>>(
            adaptive, input.data_ptr<T>(), out.data_ptr<T>(), p);
        AXON_CUDA_LAUNCH_CHECK();
      });
}

void avg_pool_backward_cuda(bool adaptive, const Tensor& grad_input, const Tensor& grad_output,
                            const Pool2dParams& p) {
  const int64_t n = p.planes * p.in_h * p.in_w;
  if (n == 0) return;
  DeviceGuard guard(resolve_device(grad_input.device().index()));
  const char* op = adaptive ? "adaptive_avg_pool2d_backward" : "avg_pool2d_backward";
  kernels::visit_floating_dtype(grad_input.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    avg_pool_backward<T><<<blocks_for(n), kThreads, 0, current_stream()>>>(
        adaptive, grad_input.data_ptr<T>(), grad_output.data_ptr<T>(), p);
    AXON_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::max_pool2d_kernel, CUDA, &max_pool_cuda);
AXON_REGISTER_KERNEL(kernels::max_pool2d_backward_kernel, CUDA, &max_pool_backward_cuda);
AXON_REGISTER_KERNEL(kernels::max_pool2d_gather_kernel, CUDA, &max_pool_gather_cuda);
AXON_REGISTER_KERNEL(kernels::avg_pool2d_kernel, CUDA, &avg_pool_cuda);
AXON_REGISTER_KERNEL(kernels::avg_pool2d_backward_kernel, CUDA, &avg_pool_backward_cuda);

}  // namespace axon::cuda_backend
