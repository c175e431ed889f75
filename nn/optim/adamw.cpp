#include "axon/optim/adamw.h"

#include "axon/autograd/grad_mode.h"
#include "nn/optim/adam_update.h"

namespace axon::optim {

AdamWOptions::AdamWOptions(double lr) : lr_(lr) {}

std::vector<OptionField> AdamWOptions::fields() {
  return {{"lr", &lr_},   {"betas.0", &std::get<0>(betas_)}, {"betas.1", &std::get<1>(betas_)},
          {"eps", &eps_}, {"weight_decay", &weight_decay_},  {"amsgrad", &amsgrad_}};
}

std::vector<StateField> AdamWParamState::fields() {
  return {{"step", &step_},
          {"exp_avg", &exp_avg_},
          {"exp_avg_sq", &exp_avg_sq_},
          {"max_exp_avg_sq", &max_exp_avg_sq_}};
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer("AdamW", std::move(param_groups), std::make_unique<AdamWOptions>(defaults)) {
  check_options(*defaults_);
  for (const OptimizerParamGroup& group : param_groups_) check_options(group.options());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{std::move(params)}, defaults) {}

void AdamW::check_options(const OptimizerOptions& base) const {
  const auto& o = options_as<AdamWOptions>(base);
  detail::check_adam_options("AdamW", o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()),
                             o.eps(), o.weight_decay());
}

std::vector<std::string> AdamW::state_keys(const OptimizerOptions& base) const {
  return detail::adam_state_keys(static_cast<const AdamWOptions&>(base).amsgrad());
}

// torch/optim/adamw.py, _single_tensor_adamw.
Tensor AdamW::step(LossClosure closure) {
  Tensor loss = run_closure(closure);
  NoGradGuard no_grad;
  for (OptimizerParamGroup& group : param_groups_) {
    const auto& o = static_cast<const AdamWOptions&>(group.options());
    std::vector<detail::AdamParam> params;
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      AdamWParamState& s = param_state<AdamWParamState>(p);
      params.push_back({p, {s.step(), s.exp_avg(), s.exp_avg_sq(), s.max_exp_avg_sq()}});
    }
    detail::adam_update("AdamW", params,
                        {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(),
                         o.weight_decay(), o.amsgrad(), /*decoupled_weight_decay=*/true});
  }
  return loss;
}

}  // namespace axon::optim
