#pragma once
// Kernel dispatch: one table per kernel, one slot per device type.
//
//   kernels/common/reduce.h:   AXON_DECLARE_KERNEL(reduce_kernel, ReduceFn);
//   core/ops/reduction.cpp:    AXON_DEFINE_KERNEL(reduce_kernel);  ... reduce_kernel(device)(...)
//   kernels/cpu/reduce.cpp:    AXON_REGISTER_KERNEL(reduce_kernel, CPU, &reduce_cpu);
//   kernels/cuda/reduce.cu:    AXON_REGISTER_KERNEL(reduce_kernel, CUDA, &reduce_cuda);
//
// Tables are constant-initialised, so registration from any translation unit's static
// initialisers is safe. An op finds its kernel through the tensor's device, never a global mode.

#include "axon/device.h"
#include "axon/error.h"

namespace axon::detail {

[[noreturn]] void throw_missing_kernel(const char* name, DeviceType device);

template <typename Fn>
class KernelTable {
 public:
  constexpr explicit KernelTable(const char* name) : name_(name) {}
  void set(DeviceType device, Fn* fn) { table_[static_cast<int>(device)] = fn; }
  bool has(DeviceType device) const { return table_[static_cast<int>(device)] != nullptr; }
  Fn* operator()(DeviceType device) const {
    Fn* fn = table_[static_cast<int>(device)];
    if (fn == nullptr) [[unlikely]] {
      throw_missing_kernel(name_, device);
    }
    return fn;
  }
  Fn* operator()(const Device& device) const { return (*this)(device.type()); }

 private:
  const char* name_;
  Fn* table_[kNumDeviceTypes] = {};
};

}  // namespace axon::detail

#define AXON_DECLARE_KERNEL(name, signature) \
  extern constinit ::axon::detail::KernelTable<signature> name
#define AXON_DEFINE_KERNEL(name) \
  constinit decltype(name) name { #name }
#define AXON_CONCAT_IMPL(a, b) a##b
#define AXON_CONCAT(a, b) AXON_CONCAT_IMPL(a, b)
// `device` is a DeviceType enumerator name: CPU or CUDA.
#define AXON_REGISTER_KERNEL(name, device, fn)                                        \
  [[maybe_unused]] static const bool AXON_CONCAT(axon_kernel_registered_, __LINE__) = \
      (name.set(::axon::DeviceType::device, fn), true)
