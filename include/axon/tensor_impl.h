#pragma once
// TensorImpl: sizes, strides, storage offset, dtype, device and autograd metadata.
// Included at the end of axon/tensor.h; include that header, not this one.

#include <cstdint>
#include <memory>

#include "axon/array_ref.h"
#include "axon/dtype.h"
#include "axon/error.h"
#include "axon/storage.h"
#include "axon/tensor.h"

namespace axon {

class TensorImpl {
 public:
  // A tensor over `storage` with the given geometry (strides in elements).
  TensorImpl(Storage storage, DType dtype, IntArrayRef sizes, IntArrayRef strides,
             int64_t storage_offset);
  // A tensor over `storage` with contiguous strides.
  TensorImpl(Storage storage, DType dtype, IntArrayRef sizes);

  IntArrayRef sizes() const { return sizes_; }
  IntArrayRef strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  int64_t storage_offset() const { return storage_offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return is_contiguous_; }
  const Storage& storage() const { return storage_; }
  void* data() const {
    return static_cast<char*>(storage_->data()) +
           storage_offset_ * static_cast<int64_t>(element_size(dtype_));
  }
  // Changes the geometry in place (used by in-place view ops such as detach_ and squeeze_).
  void set_geometry(IntArrayRef sizes, IntArrayRef strides, int64_t storage_offset);
  // Takes `src`'s storage, dtype and geometry, keeping this tensor's autograd identity
  // (Tensor::set_data; Module::to moves parameters this way so every handle sees the move).
  void set_data(const TensorImpl& src) {
    storage_ = src.storage_;
    dtype_ = src.dtype_;
    set_geometry(src.sizes_, src.strides_, src.storage_offset_);
  }

  // True when this tensor was made by a view op (it shares storage with another tensor).
  bool is_view() const { return is_view_; }
  void set_is_view(bool v) { is_view_ = v; }
  // The tensor a view was made from (the root of a chain of views), for in-place ops on views
  // under autograd (Note [In-place on views] in core/autograd/view_inplace.cpp).
  const std::shared_ptr<TensorImpl>& view_base() const { return view_base_; }
  void set_view_base(std::shared_ptr<TensorImpl> base) {
    seen_base_history_ = base ? base->history_version_ : 0;
    view_base_ = std::move(base);
  }
  // Bumped when an in-place op on one of this base's views rewrites the base's history; a view
  // that saw an older value rebuilds its grad_fn from the base.
  uint32_t history_version() const { return history_version_; }
  void bump_history_version() { ++history_version_; }
  uint32_t seen_base_history() const { return seen_base_history_; }
  void set_seen_base_history(uint32_t v) { seen_base_history_ = v; }

  // --- autograd metadata ---
  bool requires_grad() const { return requires_grad_ || grad_fn_ != nullptr; }
  void set_requires_grad(bool r) { requires_grad_ = r; }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return grad_fn_; }
  void set_grad_fn(std::shared_ptr<autograd::Node> fn, uint32_t output_nr) {
    grad_fn_ = std::move(fn);
    output_nr_ = output_nr;
  }
  uint32_t output_nr() const { return output_nr_; }
  Tensor& grad() { return grad_; }
  std::weak_ptr<autograd::Node>& grad_accumulator() { return grad_accumulator_; }
  bool retains_grad() const { return retains_grad_; }
  void set_retains_grad(bool r) { retains_grad_ = r; }

 private:
  void refresh_contiguous();

  Storage storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t storage_offset_ = 0;
  int64_t numel_ = 1;
  DType dtype_;
  bool is_contiguous_ = true;
  bool is_view_ = false;

  std::shared_ptr<TensorImpl> view_base_;
  uint32_t history_version_ = 0;
  uint32_t seen_base_history_ = 0;

  bool requires_grad_ = false;  // set on leaves; non-leaves require grad through grad_fn_
  bool retains_grad_ = false;
  uint32_t output_nr_ = 0;
  std::shared_ptr<autograd::Node> grad_fn_;
  std::weak_ptr<autograd::Node> grad_accumulator_;  // leaves: the node that accumulates grad
  Tensor grad_;
};

namespace detail {
[[noreturn]] void throw_data_ptr_dtype_mismatch(DType requested, DType actual);
[[noreturn]] void throw_undefined_tensor(const char* what);
inline TensorImpl* checked_impl(const Tensor& t, const char* what) {
  if (!t.defined()) [[unlikely]] {
    throw_undefined_tensor(what);
  }
  return t.unsafeGetTensorImpl();
}
}  // namespace detail

inline IntArrayRef Tensor::sizes() const { return detail::checked_impl(*this, "sizes")->sizes(); }
inline IntArrayRef Tensor::strides() const {
  return detail::checked_impl(*this, "strides")->strides();
}
inline int64_t Tensor::dim() const { return detail::checked_impl(*this, "dim")->dim(); }
inline int64_t Tensor::numel() const { return detail::checked_impl(*this, "numel")->numel(); }
inline int64_t Tensor::storage_offset() const {
  return detail::checked_impl(*this, "storage_offset")->storage_offset();
}
inline DType Tensor::dtype() const { return detail::checked_impl(*this, "dtype")->dtype(); }
inline Device Tensor::device() const { return detail::checked_impl(*this, "device")->device(); }
inline bool Tensor::is_contiguous() const {
  return detail::checked_impl(*this, "is_contiguous")->is_contiguous();
}
inline const Storage& Tensor::storage() const {
  return detail::checked_impl(*this, "storage")->storage();
}
inline void* Tensor::data_ptr() const { return detail::checked_impl(*this, "data_ptr")->data(); }
template <typename T>
T* Tensor::data_ptr() const {
  TensorImpl* impl = detail::checked_impl(*this, "data_ptr");
  if (impl->dtype() != dtype_of<std::remove_const_t<T>>) [[unlikely]] {
    detail::throw_data_ptr_dtype_mismatch(dtype_of<std::remove_const_t<T>>, impl->dtype());
  }
  return static_cast<T*>(impl->data());
}
inline bool Tensor::requires_grad() const { return defined() && impl_->requires_grad(); }

}  // namespace axon
