#include "axon/optim/adam.h"

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"
#include "nn/optim/adam_update.h"
#include "nn/optim/fused_step.h"

namespace axon::optim {

namespace detail {

// torch/optim/adam.py, _single_tensor_adam without capturable/differentiable, as one fused
// kernel per device and dtype (kernels/common/optimizer.h), with the op sequence's rounding.
void adam_update(const char* name, const std::vector<AdamParam>& params,
                 const kernels::AdamStepOptions& options) {
  std::vector<kernels::AdamParamTensors> tensors;
  tensors.reserve(params.size());
  for (const auto& [param, m] : params) {
    check_gradient(name, param);
    if (!m.exp_avg.defined()) {
      m.exp_avg = zeros_like(param);
      m.exp_avg_sq = zeros_like(param);
    }
    if (options.amsgrad && !m.max_exp_avg_sq.defined()) m.max_exp_avg_sq = zeros_like(param);
    m.step += 1;
    tensors.push_back({param, param.grad(), m.exp_avg, m.exp_avg_sq,
                       options.amsgrad ? m.max_exp_avg_sq : Tensor(), m.step});
  }
  fused_adam_step(name, std::move(tensors), options);
}

void check_adam_options(const char* name, double lr, double beta1, double beta2, double eps,
                        double weight_decay) {
  AXON_CHECK(lr >= 0, "{}: invalid learning rate: {}", name, lr);
  AXON_CHECK(eps >= 0, "{}: invalid epsilon value: {}", name, eps);
  AXON_CHECK(beta1 >= 0 && beta1 < 1, "{}: invalid beta parameter at index 0: {}", name, beta1);
  AXON_CHECK(beta2 >= 0 && beta2 < 1, "{}: invalid beta parameter at index 1: {}", name, beta2);
  AXON_CHECK(weight_decay >= 0, "{}: invalid weight_decay value: {}", name, weight_decay);
}

std::vector<std::string> adam_state_keys(bool amsgrad) {
  std::vector<std::string> keys = {"step", "exp_avg", "exp_avg_sq"};
  if (amsgrad) keys.emplace_back("max_exp_avg_sq");
  return keys;
}

}  // namespace detail

AdamOptions::AdamOptions(double lr) : lr_(lr) {}

std::vector<OptionField> AdamOptions::fields() {
  return {{"lr", &lr_},   {"betas.0", &std::get<0>(betas_)}, {"betas.1", &std::get<1>(betas_)},
          {"eps", &eps_}, {"weight_decay", &weight_decay_},  {"amsgrad", &amsgrad_}};
}

std::vector<StateField> AdamParamState::fields() {
  return {{"step", &step_},
          {"exp_avg", &exp_avg_},
          {"exp_avg_sq", &exp_avg_sq_},
          {"max_exp_avg_sq", &max_exp_avg_sq_}};
}

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer("Adam", std::move(param_groups), std::make_unique<AdamOptions>(defaults)) {
  check_options(*defaults_);
  for (const OptimizerParamGroup& group : param_groups_) check_options(group.options());
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{std::move(params)}, defaults) {}

void Adam::check_options(const OptimizerOptions& base) const {
  const auto& o = options_as<AdamOptions>(base);
  detail::check_adam_options("Adam", o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()),
                             o.eps(), o.weight_decay());
}

std::vector<std::string> Adam::state_keys(const OptimizerOptions& base) const {
  return detail::adam_state_keys(static_cast<const AdamOptions&>(base).amsgrad());
}

Tensor Adam::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& o = static_cast<const AdamOptions&>(group.options());
    std::vector<detail::AdamParam> params;
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      AdamParamState& s = param_state<AdamParamState>(p);
      params.push_back({p, {s.step(), s.exp_avg(), s.exp_avg_sq(), s.max_exp_avg_sq()}});
    }
    detail::adam_update("Adam", params,
                        {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(),
                         o.weight_decay(), o.amsgrad(), /*decoupled_weight_decay=*/false});
  }
  return loss;
}

}  // namespace axon::optim
