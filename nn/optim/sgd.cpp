#include "axon/optim/sgd.h"

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "nn/optim/fused_step.h"

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

// torch/optim/sgd.py, _single_tensor_sgd, as one fused kernel per device and dtype
// (kernels/common/optimizer.h), with the op sequence's rounding.
Tensor SGD::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& options = static_cast<const SGDOptions&>(group.options());
    std::vector<kernels::SgdParamTensors> params;
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      detail::check_gradient("SGD", p);
      kernels::SgdParamTensors& t = params.emplace_back();
      t.param = p;
      t.grad = p.grad();
      if (options.momentum() != 0) {
        Tensor& buf = param_state<SGDParamState>(p).momentum_buffer();
        if (!buf.defined()) {
          // The first step takes the gradient as the buffer, without dampening.
          buf = empty_like(p);
          t.first_step = true;
        }
        t.momentum_buffer = buf;
      }
    }
    detail::fused_sgd_step("SGD", std::move(params),
                           {options.lr(), options.momentum(), options.dampening(),
                            options.weight_decay(), options.nesterov()});
  }
  return loss;
}

}  // namespace axon::optim
