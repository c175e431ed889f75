#pragma once
// Adam, optionally AMSGrad, with L2 weight decay added to the gradient, as torch.optim.Adam.

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

struct AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  AdamOptions(double lr = 1e-3);  // NOLINT(google-explicit-constructor): as LibTorch's
  using betas_t = std::tuple<double, double>;
  AXON_OPTIM_ARG(double, lr);
  AXON_OPTIM_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  AXON_OPTIM_ARG(double, eps) = 1e-8;
  AXON_OPTIM_ARG(double, weight_decay) = 0;
  AXON_OPTIM_ARG(bool, amsgrad) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  bool has_momentum() const override { return true; }
  double get_momentum() const override { return std::get<0>(betas()); }
  void set_momentum(double beta1) override { std::get<0>(betas()) = beta1; }
  std::vector<OptionField> fields() override;
};

struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  AXON_OPTIM_ARG(int64_t, step) = 0;
  AXON_OPTIM_ARG(Tensor, exp_avg);
  AXON_OPTIM_ARG(Tensor, exp_avg_sq);
  AXON_OPTIM_ARG(Tensor, max_exp_avg_sq);

 public:
  std::vector<StateField> fields() override;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  explicit Adam(std::vector<Tensor> params, AdamOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::vector<std::string> state_keys(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state() const override {
    return std::make_unique<AdamParamState>();
  }
};

}  // namespace axon::optim
