#pragma once
// TensorOptions: dtype, device and requires_grad for factory functions, as in LibTorch:
//   axon::zeros({2, 3}, axon::TensorOptions().dtype(axon::kFloat64).requires_grad(true));
//   axon::ones({4}, axon::kInt64);   // a DType or a Device converts to options

#include <optional>

#include "axon/device.h"
#include "axon/dtype.h"

namespace axon {

class TensorOptions {
 public:
  TensorOptions() = default;
  // NOLINTBEGIN(google-explicit-constructor): kFloat64 and kCPU are options by themselves.
  TensorOptions(DType dtype) : dtype_(dtype) {}
  TensorOptions(Device device) : device_(device) {}
  TensorOptions(DeviceType device) : device_(Device(device)) {}
  // NOLINTEND(google-explicit-constructor)

  TensorOptions dtype(DType dtype) const {
    TensorOptions o = *this;
    o.dtype_ = dtype;
    return o;
  }
  TensorOptions dtype(std::optional<DType> dtype) const {
    TensorOptions o = *this;
    o.dtype_ = dtype;
    return o;
  }
  TensorOptions device(Device device) const {
    TensorOptions o = *this;
    o.device_ = device;
    return o;
  }
  TensorOptions requires_grad(bool requires_grad) const {
    TensorOptions o = *this;
    o.requires_grad_ = requires_grad;
    return o;
  }

  // The dtype, or `fallback` (the default float dtype unless given) when none was set.
  DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
  DType dtype() const { return dtype_.value_or(get_default_dtype()); }
  bool has_dtype() const { return dtype_.has_value(); }
  Device device() const { return device_.value_or(Device(kCPU)); }
  bool has_device() const { return device_.has_value(); }
  bool requires_grad() const { return requires_grad_; }

 private:
  std::optional<DType> dtype_;
  std::optional<Device> device_;
  bool requires_grad_ = false;
};

// LibTorch's shorthands: axon::dtype(kInt64), axon::device(kCPU), axon::requires_grad().
inline TensorOptions dtype(DType d) { return TensorOptions().dtype(d); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

}  // namespace axon
