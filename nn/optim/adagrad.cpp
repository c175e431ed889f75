#include "axon/optim/adagrad.h"

#include <cmath>

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::optim {

AdagradOptions::AdagradOptions(double lr) : lr_(lr) {}

std::vector<OptionField> AdagradOptions::fields() {
  return {{"lr", &lr_},
          {"lr_decay", &lr_decay_},
          {"eps", &eps_},
          {"weight_decay", &weight_decay_},
          {"initial_accumulator_value", &initial_accumulator_value_}};
}

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer("Adagrad", std::move(param_groups), std::make_unique<AdagradOptions>(defaults)) {
  check_options(*defaults_);
  for (const OptimizerParamGroup& group : param_groups_) {
    check_options(group.options());
    for (const Tensor& p : group.params()) {
      init_state(p, static_cast<const AdagradOptions&>(group.options()));
    }
  }
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{std::move(params)}, defaults) {}

void Adagrad::init_state(const Tensor& param, const AdagradOptions& options) {
  AdagradParamState& s = param_state<AdagradParamState>(param);
  if (!s.sum().defined()) {
    NoGradGuard no_grad;
    s.sum(full_like(param, options.initial_accumulator_value()));
  }
}

void Adagrad::check_options(const OptimizerOptions& base) const {
  const auto& o = options_as<AdagradOptions>(base);
  AXON_CHECK(o.lr() >= 0, "Adagrad: invalid learning rate: {}", o.lr());
  AXON_CHECK(o.lr_decay() >= 0, "Adagrad: invalid lr_decay value: {}", o.lr_decay());
  AXON_CHECK(o.weight_decay() >= 0, "Adagrad: invalid weight_decay value: {}", o.weight_decay());
  AXON_CHECK(o.initial_accumulator_value() >= 0,
             "Adagrad: invalid initial_accumulator_value value: {}", o.initial_accumulator_value());
  AXON_CHECK(o.eps() >= 0, "Adagrad: invalid epsilon value: {}", o.eps());
}

std::vector<std::string> Adagrad::state_keys(const OptimizerOptions& /*options*/) const {
  return {"sum", "step"};
}

// torch/optim/adagrad.py, _single_tensor_adagrad (dense gradients).
Tensor Adagrad::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& o = static_cast<const AdagradOptions&>(group.options());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      // Parameters added after construction (add_param_group) get their state here.
      init_state(p, o);
      AdagradParamState& s = param_state<AdagradParamState>(p);
      s.step(s.step() + 1);
      Tensor grad = p.grad();
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      const double clr = o.lr() / (1 + static_cast<double>(s.step() - 1) * o.lr_decay());
      s.sum().add_(grad * grad);
      Tensor std = s.sum().sqrt().add_(o.eps());
      p.add_(grad.mul(-clr).div_(std));
    }
  }
  return loss;
}

}  // namespace axon::optim
