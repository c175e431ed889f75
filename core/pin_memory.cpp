// Tensor::pin_memory and is_pinned: page-locked host memory from the CUDA backend's pinned
// allocator (core/cuda_hooks.h), so that host-device copies can run asynchronously.
#include "axon/tensor.h"
#include "core/autograd/record.h"
#include "core/cuda_hooks.h"
#include "core/tensor_utils.h"

namespace axon {

bool Tensor::is_pinned() const {
  detail::check_defined(*this, "is_pinned");
  return is_cpu() && data_ptr() != nullptr && detail::is_pinned(data_ptr());
}

Tensor Tensor::pin_memory() const {
  detail::check_defined(*this, "pin_memory");
  AXON_CHECK(is_cpu(), "pin_memory: only CPU tensors can be pinned, got a tensor on {}", device());
  if (is_pinned()) return *this;
  size_t nbytes = static_cast<size_t>(numel()) * axon::element_size(dtype());
  auto storage =
      std::make_shared<StorageImpl>(detail::pinned_host_allocator()->allocate(nbytes), nbytes);
  Tensor out(std::make_shared<TensorImpl>(std::move(storage), dtype(), sizes()));
  detail::copy_raw(out, *this);
  if (autograd::should_record({this})) {
    autograd::record(
        "PinMemoryBackward0", out, {this}, {},
        [](const autograd::BackwardContext& ctx) { return variable_list{ctx.grad()}; });
  }
  return out;
}

}  // namespace axon
