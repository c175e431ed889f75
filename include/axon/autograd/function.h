#pragma once
// Custom autograd functions, as LibTorch spells them:
//
//   struct MyReLU : axon::autograd::Function<MyReLU> {
//     static axon::Tensor forward(axon::autograd::AutogradContext* ctx, axon::Tensor x) {
//       ctx->save_for_backward({x});
//       return x.clamp_min(0);
//     }
//     static axon::autograd::variable_list backward(axon::autograd::AutogradContext* ctx,
//                                                   axon::autograd::variable_list grads) {
//       auto x = ctx->get_saved_variables()[0];
//       return {grads[0] * (x > 0)};
//     }
//   };
//   axon::Tensor y = MyReLU::apply(x);
//
// forward runs with grad mode off; backward returns one gradient per forward argument (an
// undefined Tensor for arguments that are not tensors or need no gradient).

#include <cstdint>
#include <memory>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "axon/autograd/grad_mode.h"
#include "axon/autograd/node.h"
#include "axon/autograd/saved_variable.h"
#include "axon/tensor.h"

namespace axon::autograd {

using axon::variable_list;

// A value kept in AutogradContext::saved_data: a tensor, number, flag, string or int list.
class IValue {
 public:
  IValue() = default;
  // NOLINTBEGIN(google-explicit-constructor)
  IValue(Tensor t) : value_(std::move(t)) {}
  IValue(double d) : value_(d) {}
  IValue(int64_t i) : value_(i) {}
  IValue(int i) : value_(static_cast<int64_t>(i)) {}
  IValue(bool b) : value_(b) {}
  IValue(std::string s) : value_(std::move(s)) {}
  IValue(const char* s) : value_(std::string(s)) {}
  IValue(std::vector<int64_t> v) : value_(std::move(v)) {}
  // NOLINTEND(google-explicit-constructor)

  bool isNone() const { return value_.index() == 0; }
  bool isTensor() const { return std::holds_alternative<Tensor>(value_); }
  bool isDouble() const { return std::holds_alternative<double>(value_); }
  bool isInt() const { return std::holds_alternative<int64_t>(value_); }
  bool isBool() const { return std::holds_alternative<bool>(value_); }
  bool isString() const { return std::holds_alternative<std::string>(value_); }
  const Tensor& toTensor() const { return get<Tensor>("Tensor"); }
  double toDouble() const;
  int64_t toInt() const { return get<int64_t>("int"); }
  bool toBool() const { return get<bool>("bool"); }
  const std::string& toStringRef() const { return get<std::string>("string"); }
  const std::vector<int64_t>& toIntVector() const { return get<std::vector<int64_t>>("int list"); }

 private:
  template <typename T>
  const T& get(const char* what) const {
    const T* p = std::get_if<T>(&value_);
    AXON_CHECK(p != nullptr, "IValue: expected a {} but it holds something else", what);
    return *p;
  }
  std::variant<std::monostate, Tensor, double, int64_t, bool, std::string, std::vector<int64_t>>
      value_;
};

class CppNodeBase;

struct AutogradContext {
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  // Tensors the backward needs; get them back with get_saved_variables().
  void save_for_backward(variable_list to_save);
  variable_list get_saved_variables() const;
  // Inputs that forward modified in place.
  void mark_dirty(const variable_list& inputs);
  // Outputs that have no gradient (indices, masks).
  void mark_non_differentiable(const variable_list& outputs);
  // When true (the default) gradients of unused outputs reach backward as zeros, not undefined.
  void set_materialize_grads(bool value) { materialize_grads_ = value; }
  // Whether forward argument `index` needs a gradient.
  bool needs_input_grad(size_t index) const;

  std::unordered_map<std::string, IValue> saved_data;

 private:
  friend class CppNodeBase;
  variable_list to_save_;
  std::vector<SavedVariable> saved_;
  std::unordered_set<const TensorImpl*> dirty_;
  std::unordered_set<const TensorImpl*> non_differentiable_;
  std::vector<bool> needs_input_grad_;
  bool materialize_grads_ = true;
  bool has_freed_buffers_ = false;
};

// The parts of a custom function's node that do not depend on its type.
class CppNodeBase : public Node {
 public:
  AutogradContext ctx;

  // Records the inputs (one entry per forward argument; is_variable false for non-tensors).
  void set_inputs(const variable_list& inputs, std::vector<bool> is_variable);
  // After forward: saves what forward asked for and attaches this node to the outputs.
  variable_list wrap_outputs(const variable_list& inputs, variable_list outputs);
  Tensor wrap_outputs(const variable_list& inputs, Tensor output);
  void release_variables() override;

 protected:
  // Turns what the user's backward returned into one gradient per next edge, with checks.
  variable_list collect_input_grads(variable_list grads, const std::string& function_name) const;
  variable_list prepare_grad_outputs(variable_list grads) const;
  std::vector<bool> is_variable_input_;
  struct OutputInfo {
    DimVector sizes;
    DType dtype;
    Device device{kCPU};
  };
  std::vector<OutputInfo> output_info_;
  std::vector<DimVector> input_sizes_;
};

std::string demangle_function_name(const char* mangled);

template <class T>
class CppNode final : public CppNodeBase {
 public:
  std::string name() const override {
    return demangle_function_name(typeid(T).name()) + "Backward";
  }
  variable_list apply(variable_list&& grad_outputs) override {
    variable_list grads = prepare_grad_outputs(std::move(grad_outputs));
    variable_list result = T::backward(&ctx, std::move(grads));
    return collect_input_grads(std::move(result), name());
  }
};

namespace detail {
inline void collect_variables(variable_list& out, std::vector<bool>& is_var, const Tensor& t) {
  out.push_back(t);
  is_var.push_back(true);
}
inline void collect_variables(variable_list& out, std::vector<bool>& is_var,
                              const variable_list& list) {
  for (const Tensor& t : list) collect_variables(out, is_var, t);
}
template <typename T>
void collect_variables(variable_list& /*out*/, std::vector<bool>& is_var, const T& /*value*/) {
  is_var.push_back(false);
}
}  // namespace detail

template <class T>
struct Function {
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args) {
    auto node = std::make_shared<CppNode<X>>();
    variable_list inputs;
    std::vector<bool> is_variable;
    (detail::collect_variables(inputs, is_variable, args), ...);
    node->set_inputs(inputs, std::move(is_variable));
    using Output = decltype(X::forward(&node->ctx, std::forward<Args>(args)...));
    static_assert(std::is_same_v<Output, Tensor> || std::is_same_v<Output, variable_list>,
                  "forward must return a Tensor or a variable_list");
    Output outputs;
    {
      AutoGradMode no_grad(false);
      outputs = X::forward(&node->ctx, std::forward<Args>(args)...);
    }
    return node->wrap_outputs(inputs, std::move(outputs));
  }
};

}  // namespace axon::autograd
