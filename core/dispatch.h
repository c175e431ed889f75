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
// While a profiler::Profile records, every call through a table is a timed scope named after the
// table (and, for kernels whose first argument is an op enum, after the op: kernel_op_name()).

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "axon/device.h"
#include "axon/error.h"
#include "core/profiling.h"

namespace axon {
class Tensor;
}  // namespace axon

namespace axon::detail {

[[noreturn]] void throw_missing_kernel(const char* name, DeviceType device);

template <typename Op>
concept NamedKernelOp = requires(Op op) {
  kernel_op_name(op);
};

// The sizes of a kernel call's tensor arguments, for the profiler's record_shapes.
template <typename Arg>
void add_input_shape(std::vector<std::vector<int64_t>>& shapes, const Arg& arg) {
  if constexpr (std::is_same_v<Arg, Tensor>) {
    shapes.emplace_back();
    if (arg.defined()) shapes.back().assign(arg.sizes().begin(), arg.sizes().end());
  }
}

template <typename Fn>
class KernelCall;

// What a table's lookup returns: the kernel, called through a check of whether to profile.
template <typename R, typename... Args>
class KernelCall<R(Args...)> {
 public:
  KernelCall(R (*fn)(Args...), const char* name, Device device)
      : fn_(fn), name_(name), device_(device) {}
  R operator()(Args... args) const {
    if (!profiler_recording()) [[likely]] {
      return fn_(std::forward<Args>(args)...);
    }
    KernelScope scope(label(args...), device_);
    if (profiler_records_shapes()) {
      std::vector<std::vector<int64_t>> shapes;
      (add_input_shape(shapes, args), ...);
      scope.set_input_shapes(std::move(shapes));
    }
    return fn_(std::forward<Args>(args)...);
  }

 private:
  template <typename First, typename... Rest>
  std::string label(const First& first, const Rest&... /*rest*/) const {
    if constexpr (NamedKernelOp<First>) {
      return std::string(name_) + "[" + kernel_op_name(first) + "]";
    } else {
      return name_;
    }
  }
  std::string label() const { return name_; }

  R (*fn_)(Args...);
  const char* name_;
  Device device_;
};

template <typename Fn>
class KernelTable {
 public:
  // `name` as AXON_DEFINE_KERNEL spells it; errors and profiles use it without its namespace.
  constexpr explicit KernelTable(const char* name) : name_(unqualified(name)) {}
  void set(DeviceType device, Fn* fn) { table_[static_cast<int>(device)] = fn; }
  bool has(DeviceType device) const { return table_[static_cast<int>(device)] != nullptr; }
  KernelCall<Fn> operator()(const Device& device) const {
    Fn* fn = table_[static_cast<int>(device.type())];
    if (fn == nullptr) [[unlikely]] {
      throw_missing_kernel(name_, device.type());
    }
    return {fn, name_, device};
  }

 private:
  static constexpr const char* unqualified(const char* name) {
    const char* last = name;
    for (const char* p = name; *p != '\0'; ++p) {
      if (p[0] == ':' && p[1] == ':') last = p + 2;
    }
    return last;
  }

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
