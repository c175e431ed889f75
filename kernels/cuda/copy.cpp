// Copies between the host and CUDA devices, and between two devices.
//
// Bytes move with one cudaMemcpyAsync on the current stream between contiguous buffers of the
// destination's dtype; a dtype conversion or a strided layout is handled on one side by that
// device's copy kernel, through a contiguous temporary. A copy returns once it is done (the stream
// is synchronised) unless non_blocking is set and the host side is pinned memory; then the
// pinned block is kept from reuse until the copy completes.
#include "core/cuda_hooks.h"
#include "core/tensor_utils.h"
#include "kernels/common/device_copy.h"
#include "kernels/cuda/caching_allocator.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {
namespace {

size_t nbytes_of(const Tensor& t) {
  return static_cast<size_t>(t.numel()) * axon::element_size(t.dtype());
}

// `t` itself when it is already a contiguous buffer of `dtype`, else a contiguous copy on its
// device (queued on the current stream for a CUDA tensor).
Tensor dense(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype && t.is_contiguous()) return t;
  Tensor out = detail::empty_tensor(t.sizes(), dtype, t.device());
  detail::copy_raw(out, t);
  return out;
}

// `dst` when it can receive the bytes directly, else a contiguous temporary on its device.
Tensor landing(const Tensor& dst) {
  return dst.is_contiguous() ? dst : detail::empty_tensor(dst.sizes(), dst.dtype(), dst.device());
}

// Non-blocking from or to pinned memory: the block is kept until the copy is done; otherwise
// waits for the copy.
void finish(cudaStream_t stream, const Tensor& host, bool non_blocking) {
  if (non_blocking && detail::is_pinned(host.data_ptr())) {
    record_pinned_use(host.data_ptr(), stream);
    return;
  }
  AXON_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void host_to_device(const Tensor& dst, const Tensor& src, bool non_blocking) {
  int device = resolve_device(dst.device().index());
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device);
  Tensor host = dense(src, dst.dtype());
  Tensor target = landing(dst);
  AXON_CUDA_CHECK(cudaMemcpyAsync(target.data_ptr(), host.data_ptr(), nbytes_of(dst),
                                  cudaMemcpyHostToDevice, stream));
  if (target.data_ptr() != dst.data_ptr()) detail::copy_raw(dst, target);
  finish(stream, host, non_blocking);
}

void device_to_host(const Tensor& dst, const Tensor& src, bool non_blocking) {
  int device = resolve_device(src.device().index());
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device);
  Tensor staged = dense(src, dst.dtype());
  Tensor target = landing(dst);
  AXON_CUDA_CHECK(cudaMemcpyAsync(target.data_ptr(), staged.data_ptr(), nbytes_of(dst),
                                  cudaMemcpyDeviceToHost, stream));
  if (target.data_ptr() != dst.data_ptr()) {
    // The host-side reordering needs the bytes now.
    AXON_CUDA_CHECK(cudaStreamSynchronize(stream));
    detail::copy_raw(dst, target);
  } else {
    finish(stream, dst, non_blocking);
  }
  // The host has waited for the device: what deferred checks found surfaces here.
  if (!non_blocking || !detail::is_pinned(dst.data_ptr())) detail::raise_deferred_device_checks();
}

void device_to_device(const Tensor& dst, const Tensor& src) {
  int from_device = resolve_device(src.device().index());
  int to_device = resolve_device(dst.device().index());
  Tensor staged;
  {
    DeviceGuard guard(from_device);
    staged = dense(src, dst.dtype());
    // The peer copy runs on the destination's stream: the source's pending work comes first.
    AXON_CUDA_CHECK(cudaStreamSynchronize(current_stream(from_device)));
  }
  DeviceGuard guard(to_device);
  cudaStream_t stream = current_stream(to_device);
  Tensor target = landing(dst);
  AXON_CUDA_CHECK(cudaMemcpyPeerAsync(target.data_ptr(), to_device, staged.data_ptr(), from_device,
                                      nbytes_of(dst), stream));
  if (target.data_ptr() != dst.data_ptr()) detail::copy_raw(dst, target);
  // `staged` may be a temporary of the source device's pool, freed on return.
  AXON_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void device_copy_cuda(const Tensor& dst, const Tensor& src, bool non_blocking) {
  check_not_capturing(
      dst.is_cuda() && src.is_cuda() ? "a copy between two GPUs"
      : dst.is_cuda()                ? "a copy from the host to the GPU"
                                     : "a copy from the GPU to the host (item(), to(kCPU), printing)",
      "the host would wait for the GPU, or each replay would read host memory that may be gone; "
      "copy into the captured input tensors before replay() and read results after it");
  if (dst.is_cuda() && src.is_cuda()) {
    device_to_device(dst, src);
  } else if (dst.is_cuda()) {
    host_to_device(dst, src, non_blocking);
  } else {
    device_to_host(dst, src, non_blocking);
  }
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::device_copy_kernel, CUDA, &device_copy_cuda);

}  // namespace axon::cuda_backend
