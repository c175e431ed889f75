#include "core/tensor_utils.h"

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "axon/tensor_impl.h"

namespace axon::detail {

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector strides(sizes.size());
  // Only an empty tensor's strides can pass int64's range ({0, 2^40, 2^40}); they wrap around
  // modulo 2^64 as PyTorch's do (stride 0 there), which no element is ever read through.
  uint64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    strides[d] = static_cast<int64_t>(stride);
    stride *= static_cast<uint64_t>(sizes[d] > 1 ? sizes[d] : 1);
  }
  return strides;
}

Tensor empty_tensor(IntArrayRef sizes, DType dtype, Device device) {
  // A product that wrapped around would allocate a small buffer behind a huge shape.
  int64_t nbytes = static_cast<int64_t>(element_size(dtype));
  bool overflow = false;
  for (int64_t s : sizes) {
    AXON_CHECK(s >= 0, "negative dimension {} in requested shape {}", s, sizes);
    overflow |= __builtin_mul_overflow(nbytes, s, &nbytes);
  }
  // A zero anywhere makes the tensor empty, whatever came before it ({2^40, 2^40, 0}).
  if (product(sizes) == 0) nbytes = 0, overflow = false;
  AXON_CHECK(!overflow, "storage size calculation overflowed for shape {} of {}", sizes, dtype);
  Storage storage = make_storage(static_cast<size_t>(nbytes), device);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes));
}

Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides,
                 int64_t storage_offset) {
  auto impl =
      std::make_shared<TensorImpl>(base.storage(), base.dtype(), sizes, strides, storage_offset);
  impl->set_is_view(true);
  TensorImpl* b = base.unsafeGetTensorImpl();
  impl->set_view_base(b->view_base() ? b->view_base() : base.impl());
  return Tensor(std::move(impl));
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t range = ndim > 0 ? ndim : 1;  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  AXON_CHECK(dim >= -range && dim < range,
             "{}: dimension out of range (expected to be in range of [{}, {}], but got {})", op,
             -range, range - 1, dim);
  return dim < 0 ? dim + range : dim;
}

void check_defined(const Tensor& t, const char* op, const char* arg) {
  AXON_CHECK(t.defined(), "{}: {} is an undefined tensor", op, arg);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  AXON_CHECK(a.device() == b.device(),
             "{}: expected all tensors to be on the same device, but found at least two "
             "devices, {} and {}",
             op, a.device(), b.device());
}

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined tensor";
  return fmt::format("{} tensor of shape {} on {}", t.dtype(), t.sizes(), t.device());
}

Tensor convert_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  NoGradGuard no_grad;
  return t.to(dtype);
}

Tensor sum_to(const Tensor& grad, IntArrayRef sizes) {
  if (grad.sizes() == sizes) return grad;
  int64_t leading = grad.dim() - static_cast<int64_t>(sizes.size());
  DimVector dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < leading || (sizes[d - leading] == 1 && grad.size(d) != 1)) dims.push_back(d);
  }
  Tensor reduced = dims.empty() ? grad : grad.sum(dims, /*keepdim=*/true);
  return reduced.view(sizes);
}

}  // namespace axon::detail
