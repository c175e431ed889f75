#pragma once
// nn::Module, as LibTorch's torch::nn::Module: parameters, buffers and submodules registered by
// name; recursive traversal with dotted names (conv1.weight, bn1.running_mean); train/eval;
// to(device/dtype); zero_grad; printing in PyTorch's repr format.
//
//   struct Net : axon::nn::Module {
//     Net() { fc1 = register_module("fc1", axon::nn::Linear(784, 10)); }
//     axon::Tensor forward(axon::Tensor x) { return fc1->forward(x); }
//     axon::nn::Linear fc1{nullptr};
//   };

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "axon/device.h"
#include "axon/dtype.h"
#include "axon/ordered_dict.h"
#include "axon/tensor.h"

namespace axon::nn {

template <typename Contained>
class ModuleHolder;

class Module : public std::enable_shared_from_this<Module> {
 public:
  using ModuleApplyFunction = std::function<void(Module&)>;
  using NamedModuleApplyFunction = std::function<void(const std::string&, Module&)>;

  // The name defaults to the class name without namespaces and without a trailing "Impl",
  // as PyTorch prints it (LinearImpl -> Linear, a user's Net -> Net).
  explicit Module(std::string name);
  Module();
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) noexcept = default;
  Module& operator=(Module&&) noexcept = default;
  virtual ~Module() = default;

  const std::string& name() const;

  // --- traversal ---
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  // This module (when include_self) and every descendant, depth first, each once.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(
      const std::string& name_prefix = std::string(), bool include_self = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;
  void apply(const ModuleApplyFunction& function);
  void apply(const NamedModuleApplyFunction& function, const std::string& name_prefix = {});

  // --- modes, devices, gradients ---
  virtual void train(bool on = true);
  void eval() { train(false); }
  virtual bool is_training() const noexcept { return is_training_; }
  // Moves or converts every parameter and buffer in place: tensors already handed out (to an
  // optimizer, say) see the change. Floating-point tensors only change dtype.
  virtual void to(Device device, DType dtype, bool non_blocking = false);
  virtual void to(DType dtype, bool non_blocking = false);
  virtual void to(Device device, bool non_blocking = false);
  virtual void zero_grad(bool set_to_none = true);

  // --- printing (PyTorch's repr) ---
  // The text inside this module's parentheses, e.g. "in_features=4, out_features=2, bias=True".
  virtual std::string extra_repr() const { return {}; }
  // Writes this module as PyTorch prints it: Name(extra) or Name(\n  (child): ...\n).
  virtual void pretty_print(std::ostream& stream) const;

  // The module cast to a concrete type, or nullptr (as LibTorch's Module::as): as<LinearImpl>()
  // and as<Linear>() both give a LinearImpl*.
  template <typename ModuleType>
  auto* as() noexcept {
    if constexpr (requires { typename ModuleType::ContainedType; }) {
      return dynamic_cast<typename ModuleType::ContainedType*>(this);
    } else {
      return dynamic_cast<ModuleType*>(this);
    }
  }

  // --- registration ---
  // An undefined tensor registers an absent parameter (a layer built without bias).
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  Tensor& register_buffer(std::string name, Tensor tensor);
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name,
                                              std::shared_ptr<ModuleType> module) {
    check_module_name(name, module != nullptr);
    children_.insert(std::move(name), std::shared_ptr<Module>(module));
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name,
                                              ModuleHolder<ModuleType> module_holder) {
    return register_module(std::move(name), module_holder.ptr());
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name,
                                             std::shared_ptr<ModuleType> module) {
    children_[name] = module;
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name,
                                             ModuleHolder<ModuleType> module_holder) {
    return replace_module(name, module_holder.ptr());
  }
  void unregister_module(const std::string& name) { children_.erase(name); }

 protected:
  OrderedDict<std::string, Tensor> parameters_{"Parameter"};
  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};

 private:
  void check_module_name(const std::string& name, bool defined) const;
  void check_tensor_name(const std::string& name, const char* what) const;
  void apply_to_tensors(const std::function<Tensor(const Tensor&)>& convert);

  mutable std::string name_;  // computed from the dynamic type on first use
  bool is_training_ = true;
};

std::ostream& operator<<(std::ostream& stream, const Module& module);

// Formats a list of sizes as a Python tuple, "(5, 5)", or one value when it is a single one.
std::string repr_tuple(IntArrayRef values);

}  // namespace axon::nn
