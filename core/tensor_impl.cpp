#include "axon/tensor_impl.h"

#include "core/tensor_utils.h"

namespace axon {

TensorImpl::TensorImpl(Storage storage, DType dtype, IntArrayRef sizes, IntArrayRef strides,
                       int64_t storage_offset)
    : storage_(std::move(storage)), dtype_(dtype) {
  set_geometry(sizes, strides, storage_offset);
}

TensorImpl::TensorImpl(Storage storage, DType dtype, IntArrayRef sizes)
    : storage_(std::move(storage)), sizes_(sizes), dtype_(dtype) {
  strides_ = detail::contiguous_strides(sizes_);
  numel_ = product(sizes_);
  is_contiguous_ = true;
}

void TensorImpl::set_geometry(IntArrayRef sizes, IntArrayRef strides, int64_t storage_offset) {
  AXON_INTERNAL_ASSERT(sizes.size() == strides.size(), "sizes {} and strides {} differ in rank",
                       sizes, strides);
  sizes_ = sizes;
  strides_ = strides;
  storage_offset_ = storage_offset;
  numel_ = product(sizes_);
  refresh_contiguous();
}

// Contiguous as PyTorch defines it: strides are row-major, ignoring dims of size 1.
void TensorImpl::refresh_contiguous() {
  is_contiguous_ = true;
  if (numel_ == 0) return;
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(sizes_.size()) - 1; d >= 0; --d) {
    if (sizes_[d] == 1) continue;
    if (strides_[d] != expected) {
      is_contiguous_ = false;
      return;
    }
    expected *= sizes_[d];
  }
}

namespace detail {

void throw_data_ptr_dtype_mismatch(DType requested, DType actual) {
  AXON_ERROR("data_ptr: the tensor holds {} elements but {} was requested", actual, requested);
}

void throw_undefined_tensor(const char* what) {
  AXON_ERROR("{}: the tensor is undefined (default-constructed or moved from)", what);
}

}  // namespace detail
}  // namespace axon
