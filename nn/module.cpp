#include "axon/nn/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <sstream>
#include <typeinfo>
#include <unordered_set>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"

namespace axon::nn {
namespace {

// "axon::nn::LinearImpl" -> "Linear"; "(anonymous namespace)::Net" -> "Net".
std::string type_name(const std::type_info& info) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(info.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : info.name();
  std::free(demangled);
  if (size_t template_start = name.find('<'); template_start != std::string::npos) {
    name.erase(template_start);
  }
  if (size_t last_colon = name.rfind("::"); last_colon != std::string::npos) {
    name.erase(0, last_colon + 2);
  }
  constexpr std::string_view kImpl = "Impl";
  if (name.size() > kImpl.size() && name.ends_with(kImpl)) name.resize(name.size() - kImpl.size());
  return name;
}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Python's textwrap-free _addindent: every line after the first gets two more spaces.
std::string add_indent(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

}  // namespace

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

const std::string& Module::name() const {
  if (name_.empty()) name_ = type_name(typeid(*this));
  return name_;
}

// --- traversal ---

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  OrderedDict<std::string, Tensor> out("Parameter");
  if (!recurse) {
    for (const auto& p : parameters_) {
      if (p.value().defined()) out.insert(p.key(), p.value());
    }
    return out;
  }
  // A parameter shared by two submodules is listed once, under its first name (as PyTorch).
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& m : named_modules()) {
    for (const auto& p : m.value()->parameters_) {
      if (p.value().defined() && seen.insert(p.value().unsafeGetTensorImpl()).second) {
        out.insert(join_name(m.key(), p.key()), p.value());
      }
    }
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  return named_parameters(recurse).values();
}

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  OrderedDict<std::string, Tensor> out("Buffer");
  if (!recurse) {
    for (const auto& b : buffers_) {
      if (b.value().defined()) out.insert(b.key(), b.value());
    }
    return out;
  }
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& m : named_modules()) {
    for (const auto& b : m.value()->buffers_) {
      if (b.value().defined() && seen.insert(b.value().unsafeGetTensorImpl()).second) {
        out.insert(join_name(m.key(), b.key()), b.value());
      }
    }
  }
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(
    const std::string& name_prefix, bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> out("Module");
  std::unordered_set<const Module*> seen;
  // Depth first, parents before children, each module once (PyTorch's named_modules).
  std::function<void(const std::string&, const std::shared_ptr<Module>&)> visit =
      [&](const std::string& prefix, const std::shared_ptr<Module>& module) {
        for (const auto& child : module->children_) {
          if (!child.value() || !seen.insert(child.value().get()).second) continue;
          std::string name = join_name(prefix, child.key());
          out.insert(name, child.value());
          visit(name, child.value());
        }
      };
  // A module that is not (yet) owned by a shared_ptr can still be traversed: wrap it without
  // ownership for the walk.
  std::shared_ptr<Module> self = std::const_pointer_cast<Module>(weak_from_this().lock());
  if (!self) self = std::shared_ptr<Module>(std::shared_ptr<Module>(), const_cast<Module*>(this));
  seen.insert(this);
  if (include_self) out.insert(name_prefix, self);
  visit(name_prefix, self);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  return named_modules({}, include_self).values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
  OrderedDict<std::string, std::shared_ptr<Module>> out("Module");
  for (const auto& child : children_) out.insert(child.key(), child.value());
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

void Module::apply(const ModuleApplyFunction& function) {
  for (const auto& m : modules()) function(*m);
}

void Module::apply(const NamedModuleApplyFunction& function, const std::string& name_prefix) {
  for (const auto& m : named_modules(name_prefix)) function(m.key(), *m.value());
}

// --- modes, devices, gradients ---

void Module::train(bool on) {
  is_training_ = on;
  for (const auto& child : children_) child.value()->train(on);
}

void Module::apply_to_tensors(const std::function<Tensor(const Tensor&)>& convert) {
  NoGradGuard no_grad;
  for (const auto& m : modules()) {
    for (auto& p : m->parameters_) {
      const Tensor& t = p.value();
      if (!t.defined()) continue;
      t.set_data(convert(t));
      if (t.grad().defined()) t.mutable_grad() = convert(t.grad());
    }
    for (auto& b : m->buffers_) {
      if (b.value().defined()) b.value().set_data(convert(b.value()));
    }
  }
}

void Module::to(Device device, DType dtype, bool non_blocking) {
  apply_to_tensors([&](const Tensor& t) {
    return t.is_floating_point() ? t.to(device, dtype, non_blocking) : t.to(TensorOptions(device));
  });
}

void Module::to(DType dtype, bool non_blocking) {
  AXON_CHECK(is_floating_point(dtype), "Module::to: expected a floating-point dtype, got {}",
             dtype);
  apply_to_tensors(
      [&](const Tensor& t) { return t.is_floating_point() ? t.to(dtype, non_blocking) : t; });
}

void Module::to(Device device, bool non_blocking) {
  apply_to_tensors([&](const Tensor& t) { return t.to(device, t.dtype(), non_blocking); });
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.mutable_grad() = Tensor();
    } else {
      Tensor& grad = p.mutable_grad();
      if (grad.grad_fn()) grad = grad.detach();
      grad.zero_();
    }
  }
}

// --- registration ---

void Module::check_tensor_name(const std::string& name, const char* what) const {
  AXON_CHECK(!name.empty(), "{}: the name must not be empty", what);
  AXON_CHECK(name.find('.') == std::string::npos, "{}: the name '{}' must not contain a dot", what,
             name);
  AXON_CHECK(!children_.contains(name) && !parameters_.contains(name) && !buffers_.contains(name),
             "{}: '{}' is already registered in {}", what, name, this->name());
}

void Module::check_module_name(const std::string& name, bool defined) const {
  check_tensor_name(name, "register_module");
  AXON_CHECK(defined, "register_module: the submodule '{}' is empty (nullptr)", name);
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_tensor_name(name, "register_parameter");
  if (tensor.defined()) {
    AXON_CHECK(tensor.is_leaf(),
               "register_parameter: '{}' is not a leaf tensor (it has a grad_fn); register a "
               "detached tensor",
               name);
    if (requires_grad) {
      AXON_CHECK(tensor.is_floating_point(),
                 "register_parameter: '{}' has dtype {}; only floating-point tensors can require "
                 "gradients",
                 name, tensor.dtype());
    }
    tensor.set_requires_grad(requires_grad);
  }
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_tensor_name(name, "register_buffer");
  return buffers_.insert(std::move(name), std::move(tensor));
}

// --- printing ---

void Module::pretty_print(std::ostream& stream) const {
  std::string extra = extra_repr();
  stream << name() << '(';
  if (children_.is_empty()) {
    if (extra.find('\n') == std::string::npos) {
      stream << extra << ')';
      return;
    }
  }
  std::vector<std::string> lines;
  std::istringstream extra_lines(extra);
  for (std::string line; std::getline(extra_lines, line);) lines.push_back(line);
  for (const auto& child : children_) {
    std::ostringstream child_text;
    child.value()->pretty_print(child_text);
    lines.push_back("(" + child.key() + "): " + add_indent(child_text.str()));
  }
  if (lines.empty()) {
    stream << ')';
    return;
  }
  stream << '\n';
  for (const std::string& line : lines) stream << "  " << line << '\n';
  stream << ')';
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print(stream);
  return stream;
}

std::string repr_tuple(IntArrayRef values) {
  if (values.size() == 1) return std::to_string(values[0]);
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + ")";
}

}  // namespace axon::nn
