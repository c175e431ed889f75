// Layers without parameters of their own: printing and containers.
#include <fmt/format.h>

#include "axon/nn/modules/activation.h"
#include "axon/nn/modules/container.h"
#include "axon/nn/modules/dropout.h"
#include "axon/nn/modules/linear.h"

namespace axon::nn {

namespace detail {
std::string py_float(double value) {
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".eni") == std::string::npos) s += ".0";  // 1 -> 1.0; not 1e-05, inf, nan
  return s;
}
}  // namespace detail

std::string FlattenImpl::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", options.start_dim(), options.end_dim());
}

std::string LeakyReLUImpl::extra_repr() const {
  return fmt::format("negative_slope={}{}", detail::py_float(options.negative_slope()),
                     options.inplace() ? ", inplace=True" : "");
}

std::string ELUImpl::extra_repr() const {
  return fmt::format("alpha={}{}", detail::py_float(options.alpha()),
                     options.inplace() ? ", inplace=True" : "");
}

// ---- dropout --------------------------------------------------------------------------------

namespace {
void check_probability(double p, const char* name) {
  AXON_CHECK(p >= 0 && p <= 1, "{}: dropout probability has to be between 0 and 1, but got {}",
             name, p);
}
}  // namespace

DropoutImpl::DropoutImpl(const DropoutOptions& options) : options(options) {
  check_probability(options.p(), "Dropout");
}
Tensor DropoutImpl::forward(const Tensor& input) {
  return functional::dropout(input, functional::DropoutFuncOptions()
                                        .p(options.p())
                                        .training(is_training())
                                        .inplace(options.inplace()));
}
std::string DropoutImpl::extra_repr() const {
  return fmt::format("p={}, inplace={}", detail::py_float(options.p()),
                     detail::py_bool(options.inplace()));
}

Dropout2dImpl::Dropout2dImpl(const Dropout2dOptions& options) : options(options) {
  check_probability(options.p(), "Dropout2d");
}
Tensor Dropout2dImpl::forward(const Tensor& input) {
  return functional::dropout2d(input, functional::Dropout2dFuncOptions()
                                          .p(options.p())
                                          .training(is_training())
                                          .inplace(options.inplace()));
}
std::string Dropout2dImpl::extra_repr() const {
  return fmt::format("p={}, inplace={}", detail::py_float(options.p()),
                     detail::py_bool(options.inplace()));
}

// ---- containers -----------------------------------------------------------------------------

void SequentialImpl::push_back(std::string name, AnyModule module) {
  register_module(std::move(name), module.ptr());
  modules_.push_back(std::move(module));
}

Tensor SequentialImpl::forward(const Tensor& input) {
  AXON_CHECK(!modules_.empty(), "Sequential::forward: the Sequential is empty");
  Tensor x = input;
  for (const AnyModule& m : modules_) x = m.forward(x);
  return x;
}

const std::shared_ptr<Module>& SequentialImpl::ptr(size_t index) const {
  AXON_CHECK(index < modules_.size(), "Sequential: index {} is out of range for {} modules", index,
             modules_.size());
  return modules_[index].ptr();
}

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

const std::shared_ptr<Module>& ModuleListImpl::ptr(size_t index) const {
  AXON_CHECK(index < modules_.size(), "ModuleList: index {} is out of range for {} modules", index,
             modules_.size());
  return modules_[index];
}

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  AXON_CHECK(static_cast<bool>(function_), "Functional: the function is empty");
}

}  // namespace axon::nn
