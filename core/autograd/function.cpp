// Custom autograd functions (axon/autograd/function.h): the parts that do not depend on the
// user's type.
#include "axon/autograd/function.h"

#include <cxxabi.h>

#include <cstdlib>

#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon::autograd {

double IValue::toDouble() const {
  if (const auto* i = std::get_if<int64_t>(&value_)) return static_cast<double>(*i);
  return get<double>("double");
}

// ---- AutogradContext ------------------------------------------------------------------------

void AutogradContext::save_for_backward(variable_list to_save) { to_save_ = std::move(to_save); }

variable_list AutogradContext::get_saved_variables() const {
  AXON_CHECK(!has_freed_buffers_,
             "Trying to backward through the graph a second time (or directly access saved "
             "tensors after they have already been freed). Specify retain_graph=true if you need "
             "to backward through the graph a second time.");
  variable_list out;
  out.reserve(saved_.size());
  for (const SavedVariable& s : saved_) out.push_back(s.unpack());
  return out;
}

void AutogradContext::mark_dirty(const variable_list& inputs) {
  for (const Tensor& t : inputs) dirty_.insert(t.unsafeGetTensorImpl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  for (const Tensor& t : outputs) non_differentiable_.insert(t.unsafeGetTensorImpl());
}

bool AutogradContext::needs_input_grad(size_t index) const {
  AXON_CHECK(index < needs_input_grad_.size(),
             "needs_input_grad: index {} out of range for {} tensor inputs", index,
             needs_input_grad_.size());
  return needs_input_grad_[index];
}

// ---- CppNodeBase ----------------------------------------------------------------------------

void CppNodeBase::set_inputs(const variable_list& inputs, std::vector<bool> is_variable) {
  is_variable_input_ = std::move(is_variable);
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    edges.push_back(gradient_edge(t));
    ctx.needs_input_grad_.push_back(GradMode::is_enabled() && edges.back().is_valid());
    input_sizes_.push_back(t.defined() ? DimVector(t.sizes()) : DimVector());
  }
  set_next_edges(std::move(edges));
}

Tensor CppNodeBase::wrap_outputs(const variable_list& inputs, Tensor output) {
  return wrap_outputs(inputs, variable_list{std::move(output)})[0];
}

variable_list CppNodeBase::wrap_outputs(const variable_list& inputs, variable_list outputs) {
  bool differentiable = should_record(TensorList(inputs));
  std::shared_ptr<Node> self = shared_from_this();
  set_num_inputs(static_cast<uint32_t>(outputs.size()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor& out = outputs[i];
    if (!out.defined()) {
      output_info_.push_back({DimVector(), get_default_dtype(), Device(kCPU)});
      continue;
    }
    output_info_.push_back({DimVector(out.sizes()), out.dtype(), out.device()});
    const TensorImpl* impl = out.unsafeGetTensorImpl();
    bool is_input = false;
    for (const Tensor& in : inputs) is_input = is_input || (in.defined() && in.is_same(out));
    bool dirty = ctx.dirty_.count(impl) > 0;
    if (dirty) {
      out.storage()->bump_version();
      if (differentiable) {
        AXON_CHECK(!(out.is_leaf() && out.requires_grad()),
                   "a leaf Variable that requires grad is being used in an in-place operation "
                   "({} marked it dirty).",
                   name());
      }
    } else if (is_input) {
      // Returning an input unchanged: give back an alias so the input keeps its own history.
      out = out.detach();
      impl = out.unsafeGetTensorImpl();
    }
    if (!differentiable || ctx.non_differentiable_.count(impl) > 0) continue;
    out.unsafeGetTensorImpl()->set_grad_fn(self, static_cast<uint32_t>(i));
  }
  for (const Tensor& t : ctx.to_save_) {
    bool is_output = false;
    for (const Tensor& out : outputs) is_output = is_output || (t.defined() && t.is_same(out));
    ctx.saved_.emplace_back(t, is_output && differentiable);
  }
  ctx.to_save_.clear();
  return outputs;
}

void CppNodeBase::release_variables() {
  for (SavedVariable& s : ctx.saved_) s.reset_data();
  ctx.has_freed_buffers_ = true;
}

variable_list CppNodeBase::prepare_grad_outputs(variable_list grads) const {
  if (!ctx.materialize_grads_) return grads;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined() && i < output_info_.size()) {
      const OutputInfo& info = output_info_[i];
      grads[i] = zeros(info.sizes, TensorOptions().dtype(info.dtype).device(info.device));
    }
  }
  return grads;
}

variable_list CppNodeBase::collect_input_grads(variable_list grads,
                                               const std::string& function_name) const {
  AXON_CHECK(grads.size() == is_variable_input_.size(),
             "function {} returned an incorrect number of gradients (expected {}, got {})",
             function_name, is_variable_input_.size(), grads.size());
  variable_list result;
  result.reserve(num_outputs());
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!is_variable_input_[i]) {
      AXON_CHECK(!grads[i].defined(),
                 "function {} returned a gradient different than an undefined tensor at position "
                 "{}, but the corresponding forward input was not a Tensor",
                 function_name, i);
      continue;
    }
    Tensor g = std::move(grads[i]);
    const DimVector& expected = input_sizes_[result.size()];
    if (g.defined() && g.sizes() != expected.ref()) {
      bool reducible = g.dim() >= static_cast<int64_t>(expected.size());
      for (size_t d = 0; reducible && d < expected.size(); ++d) {
        int64_t gs = g.size(g.dim() - static_cast<int64_t>(expected.size()) + d);
        reducible = expected[d] == gs || expected[d] == 1;
      }
      AXON_CHECK(reducible,
                 "function {} returned an invalid gradient at index {} - got {} but expected "
                 "shape compatible with {}",
                 function_name, result.size(), g.sizes(), expected.ref());
      g = axon::detail::sum_to(g, expected);
    }
    result.push_back(std::move(g));
  }
  return result;
}

std::string demangle_function_name(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && demangled != nullptr) ? demangled : mangled;
  std::free(demangled);
  size_t template_start = name.find('<');
  size_t cut = name.rfind("::", template_start == std::string::npos ? name.size() : template_start);
  return cut == std::string::npos ? name : name.substr(cut + 2);
}

}  // namespace axon::autograd
