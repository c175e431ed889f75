#include "axon/optim/sgd.h"

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::optim {

SGDOptions::SGDOptions(double lr) : lr_(lr) {}

std::vector<OptionField> SGDOptions::fields() {
  return {{"lr", &lr_},
          {"momentum", &momentum_},
          {"dampening", &dampening_},
          {"weight_decay", &weight_decay_},
          {"nesterov", &nesterov_}};
}

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer("SGD", std::move(param_groups), std::make_unique<SGDOptions>(defaults)) {
  check_options(*defaults_);
  for (const OptimizerParamGroup& group : param_groups_) check_options(group.options());
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{std::move(params)}, defaults) {}

void SGD::check_options(const OptimizerOptions& base) const {
  const auto& options = options_as<SGDOptions>(base);
  AXON_CHECK(options.lr() >= 0, "SGD: invalid learning rate: {}", options.lr());
  AXON_CHECK(options.momentum() >= 0, "SGD: invalid momentum value: {}", options.momentum());
  AXON_CHECK(options.weight_decay() >= 0, "SGD: invalid weight_decay value: {}",
             options.weight_decay());
  AXON_CHECK(!options.nesterov() || (options.momentum() > 0 && options.dampening() == 0),
             "SGD: Nesterov momentum requires a momentum and zero dampening (momentum {}, "
             "dampening {})",
             options.momentum(), options.dampening());
}

std::vector<std::string> SGD::state_keys(const OptimizerOptions& base) const {
  const auto& options = static_cast<const SGDOptions&>(base);
  if (options.momentum() == 0) return {};
  return {"momentum_buffer"};
}

// torch/optim/sgd.py, _single_tensor_sgd.
Tensor SGD::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& options = static_cast<const SGDOptions&>(group.options());
    const double momentum = options.momentum();
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor d_p = p.grad();
      if (options.weight_decay() != 0) d_p = d_p.add(p, options.weight_decay());
      if (momentum != 0) {
        Tensor& buf = param_state<SGDParamState>(p).momentum_buffer();
        if (!buf.defined()) {
          // The first step takes the gradient as the buffer, without dampening.
          buf = d_p.clone();
        } else {
          buf.mul_(momentum).add_(d_p, 1 - options.dampening());
        }
        d_p = options.nesterov() ? d_p.add(buf, momentum) : buf;
      }
      p.add_(d_p, -options.lr());
    }
  }
  return loss;
}

}  // namespace axon::optim
