#include "axon/optim/rmsprop.h"

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::optim {

RMSpropOptions::RMSpropOptions(double lr) : lr_(lr) {}

std::vector<OptionField> RMSpropOptions::fields() {
  return {{"lr", &lr_},   {"momentum", &momentum_}, {"alpha", &alpha_},
          {"eps", &eps_}, {"centered", &centered_}, {"weight_decay", &weight_decay_}};
}

std::vector<StateField> RMSpropParamState::fields() {
  return {{"step", &step_},
          {"square_avg", &square_avg_},
          {"momentum_buffer", &momentum_buffer_},
          {"grad_avg", &grad_avg_}};
}

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer("RMSprop", std::move(param_groups), std::make_unique<RMSpropOptions>(defaults)) {
  check_options(*defaults_);
  for (const OptimizerParamGroup& group : param_groups_) check_options(group.options());
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{std::move(params)}, defaults) {}

void RMSprop::check_options(const OptimizerOptions& base) const {
  const auto& o = options_as<RMSpropOptions>(base);
  AXON_CHECK(o.lr() >= 0, "RMSprop: invalid learning rate: {}", o.lr());
  AXON_CHECK(o.eps() >= 0, "RMSprop: invalid epsilon value: {}", o.eps());
  AXON_CHECK(o.momentum() >= 0, "RMSprop: invalid momentum value: {}", o.momentum());
  AXON_CHECK(o.weight_decay() >= 0, "RMSprop: invalid weight_decay value: {}", o.weight_decay());
  AXON_CHECK(o.alpha() >= 0, "RMSprop: invalid alpha value: {}", o.alpha());
}

std::vector<std::string> RMSprop::state_keys(const OptimizerOptions& base) const {
  const auto& o = static_cast<const RMSpropOptions&>(base);
  std::vector<std::string> keys = {"step", "square_avg"};
  if (o.momentum() > 0) keys.emplace_back("momentum_buffer");
  if (o.centered()) keys.emplace_back("grad_avg");
  return keys;
}

// torch/optim/rmsprop.py, _single_tensor_rmsprop. PyTorch's addcmul_/addcdiv_ compute
// self + (value * t1) * t2 and self + (value * t1) / t2; the same order is kept here.
Tensor RMSprop::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& o = static_cast<const RMSpropOptions&>(group.options());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      RMSpropParamState& s = param_state<RMSpropParamState>(p);
      if (!s.square_avg().defined()) s.square_avg(zeros_like(p));
      if (o.momentum() > 0 && !s.momentum_buffer().defined()) s.momentum_buffer(zeros_like(p));
      if (o.centered() && !s.grad_avg().defined()) s.grad_avg(zeros_like(p));
      s.step(s.step() + 1);

      Tensor grad = p.grad();
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      s.square_avg().mul_(o.alpha()).add_(grad.mul(1 - o.alpha()).mul_(grad));
      Tensor avg;
      if (o.centered()) {
        s.grad_avg().mul_(o.alpha()).add_(grad, 1 - o.alpha());
        avg = s.square_avg().sub(s.grad_avg() * s.grad_avg()).sqrt_();
      } else {
        avg = s.square_avg().sqrt();
      }
      avg.add_(o.eps());
      if (o.momentum() > 0) {
        s.momentum_buffer().mul_(o.momentum()).add_(grad / avg);
        p.add_(s.momentum_buffer(), -o.lr());
      } else {
        p.add_(grad.mul(-o.lr()).div_(avg));
      }
    }
  }
  return loss;
}

}  // namespace axon::optim
