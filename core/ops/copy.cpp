// Copies and conversions: copy_, fill_, clone, contiguous, to, item, detach.
#include <cmath>
#include <limits>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/autograd/view_inplace.h"
#include "core/elementwise_iter.h"
#include "core/ops/elementwise_ops.h"
#include "core/tensor_utils.h"
#include "kernels/common/device_copy.h"
#include "kernels/common/elementwise.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::copy_kernel);
AXON_DEFINE_KERNEL(kernels::device_copy_kernel);

using autograd::BackwardContext;
using autograd::record;

namespace detail {

void copy_raw(const Tensor& dst, const Tensor& src, bool non_blocking) {
  if (dst.numel() == 0) return;
  if (dst.device() == src.device()) {
    Tensor source = src;
    // Reading and writing one storage through different views (a.copy_(a.t())) would read
    // elements already overwritten: stage the source unless it is exactly the destination.
    bool same_view = src.data_ptr() == dst.data_ptr() && src.sizes() == dst.sizes() &&
                     src.strides() == dst.strides();
    if (src.storage() == dst.storage() && !same_view) {
      source = empty_tensor(src.sizes(), src.dtype(), src.device());
      kernels::copy_kernel(src.device())(make_elementwise_iter(source, {src}));
    }
    kernels::copy_kernel(dst.device())(make_elementwise_iter(dst, {source}));
    return;
  }
  DeviceType backend = dst.is_cpu() ? src.device().type() : dst.device().type();
  Tensor source = src.sizes() == dst.sizes() ? src : src.expand(dst.sizes());
  kernels::device_copy_kernel(backend)(dst, source, non_blocking);
}

}  // namespace detail

namespace {
// Fractions truncate into integer tensors (as in PyTorch); values out of range are refused.
void check_fill_value(const Scalar& value, DType dtype) {
  double lo = 0, hi = 0;
  switch (dtype) {
    case DType::Bool:
    case DType::Float64:
      return;
    case DType::UInt8:
      // Integers down to -255 wrap (fill_(-1) gives 255, as in PyTorch); fractions may not.
      lo = value.isFloatingPoint() ? 0 : -255;
      hi = 255;
      break;
    case DType::Int64:
      if (!value.isFloatingPoint()) return;
      lo = -9223372036854775808.0;
      hi = 9223372036854775807.0;
      break;
    case DType::Float32:
      if (!value.isFloatingPoint() || !std::isfinite(value.toDouble())) return;
      lo = -std::numeric_limits<float>::max();
      hi = std::numeric_limits<float>::max();
      break;
  }
  double v = value.isFloatingPoint() ? value.toDouble() : static_cast<double>(value.toLong());
  AXON_CHECK(v >= lo && v <= hi, "fill_: value {} cannot be converted to type {} without overflow",
             value, dtype);
}

DType scalar_storage_dtype(const Scalar& value) {
  if (value.isFloatingPoint()) return DType::Float64;
  return value.isBoolean() ? DType::Bool : DType::Int64;
}
}  // namespace

const Tensor& Tensor::copy_(const Tensor& src, bool non_blocking) const {
  detail::check_inplace(*this, "copy_");
  detail::check_defined(src, "copy_", "src");
  AXON_CHECK(broadcast_shapes(sizes(), src.sizes()).ref() == sizes(),
             "copy_: the source of shape {} cannot be broadcast to the destination's shape {}",
             src.sizes(), sizes());
  bool record_graph = autograd::should_record({this, &src});
  if (record_graph) detail::check_inplace_autograd(*this, "copy_");
  if (record_graph && autograd::detail::is_recorded_view(*this)) {
    Tensor value = (src.sizes() == sizes() ? src : src.expand(sizes())).to(options());
    return autograd::detail::inplace_view_result(*this, value, "copy_");
  }
  detail::copy_raw(*this, src, non_blocking);
  storage()->bump_version();
  if (record_graph) {
    record("CopyBackwards", *this, {&src}, {},
           [sizes = DimVector(src.sizes()), dtype = src.dtype(),
            device = src.device()](const BackwardContext& ctx) {
             return variable_list{detail::sum_to(ctx.grad(), sizes).to(device, dtype)};
           });
  }
  return *this;
}

const Tensor& Tensor::fill_(const Scalar& value) const {
  detail::check_inplace(*this, "fill_");
  if (autograd::should_record({this})) {
    detail::check_inplace_autograd(*this, "fill_");
    if (autograd::detail::is_recorded_view(*this)) {
      // The base's region now holds a constant: CopySlices gives it no gradient.
      return autograd::detail::inplace_view_result(*this, full(sizes(), value, options()), "fill_");
    }
    unsafeGetTensorImpl()->set_grad_fn(nullptr, 0);
  }
  check_fill_value(value, dtype());
  if (numel() > 0) {
    kernels::copy_kernel(device())(detail::make_elementwise_iter(
        *this, {detail::IterInput(value, scalar_storage_dtype(value))}));
  }
  storage()->bump_version();
  return *this;
}

const Tensor& Tensor::zero_() const { return fill_(0); }

Tensor clone(const Tensor& self) {
  detail::check_defined(self, "clone");
  Tensor out = detail::empty_tensor(self.sizes(), self.dtype(), self.device());
  detail::copy_raw(out, self);
  if (autograd::should_record({&self})) {
    record("CloneBackward0", out, {&self}, {},
           [](const BackwardContext& ctx) { return variable_list{ctx.grad()}; });
  }
  return out;
}

Tensor contiguous(const Tensor& self) {
  detail::check_defined(self, "contiguous");
  return self.is_contiguous() ? self : clone(self);
}

Tensor Tensor::to(Device target, DType target_dtype, bool non_blocking, bool copy) const {
  detail::check_defined(*this, "to");
  if (target.is_cpu()) target = Device(kCPU);
  if (!copy && target == device() && target_dtype == dtype()) return *this;
  Tensor out = detail::empty_tensor(sizes(), target_dtype, target);
  detail::copy_raw(out, *this, non_blocking);
  // Integer and bool results have no gradient (as in PyTorch); floating ones do.
  if (axon::is_floating_point(target_dtype) && autograd::should_record({this})) {
    record("ToCopyBackward0", out, {this}, {},
           [dtype = dtype(), device = device()](const BackwardContext& ctx) {
             return variable_list{ctx.grad().to(device, dtype)};
           });
  }
  return out;
}

Tensor Tensor::to(DType dtype, bool non_blocking, bool copy) const {
  return to(device(), dtype, non_blocking, copy);
}
Tensor Tensor::to(const TensorOptions& options, bool non_blocking, bool copy) const {
  AXON_CHECK(!options.requires_grad(),
             "to: options must not set requires_grad (use requires_grad_() instead)");
  return to(options.has_device() ? options.device() : device(),
            options.has_dtype() ? options.dtype() : dtype(), non_blocking, copy);
}
Tensor Tensor::to(const Tensor& other, bool non_blocking, bool copy) const {
  return to(other.device(), other.dtype(), non_blocking, copy);
}

Scalar Tensor::item() const {
  detail::check_defined(*this, "item");
  AXON_CHECK(numel() == 1, "a Tensor with {} elements cannot be converted to Scalar", numel());
  Tensor host = is_cpu() ? *this : cpu();
  const void* p = host.data_ptr();
  switch (dtype()) {
    case DType::Bool:
      return Scalar(*static_cast<const bool*>(p));
    case DType::UInt8:
      return Scalar(static_cast<int64_t>(*static_cast<const uint8_t*>(p)));
    case DType::Int64:
      return Scalar(*static_cast<const int64_t*>(p));
    case DType::Float32:
      return Scalar(static_cast<double>(*static_cast<const float*>(p)));
    case DType::Float64:
      break;
  }
  return Scalar(*static_cast<const double*>(p));
}

Tensor Tensor::detach() const {
  detail::check_defined(*this, "detach");
  TensorImpl* impl = unsafeGetTensorImpl();
  return Tensor(std::make_shared<TensorImpl>(impl->storage(), impl->dtype(), impl->sizes(),
                                             impl->strides(), impl->storage_offset()));
}

void Tensor::set_data(const Tensor& new_data) const {
  detail::check_defined(*this, "set_data");
  detail::check_defined(new_data, "set_data");
  AXON_CHECK(is_leaf(), "set_data: only a leaf tensor's data can be replaced");
  impl_->set_data(*new_data.impl());
}

const Tensor& Tensor::detach_() const {
  detail::check_defined(*this, "detach_");
  AXON_CHECK(!unsafeGetTensorImpl()->is_view() || !requires_grad(),
             "Can't detach views in-place. Use detach() instead.");
  unsafeGetTensorImpl()->set_grad_fn(nullptr, 0);
  unsafeGetTensorImpl()->set_requires_grad(false);
  return *this;
}

Tensor& Tensor::operator=(const Tensor& src) && {
  copy_(src);
  return *this;
}
Tensor& Tensor::operator=(const Scalar& value) && {
  fill_(value);
  return *this;
}

}  // namespace axon
