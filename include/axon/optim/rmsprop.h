#pragma once
// RMSprop, optionally centered and with momentum, as torch.optim.RMSprop.

#include <memory>
#include <string>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

struct RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  RMSpropOptions(double lr = 1e-2);  // NOLINT(google-explicit-constructor): as LibTorch's
  AXON_OPTIM_ARG(double, lr);
  AXON_OPTIM_ARG(double, alpha) = 0.99;
  AXON_OPTIM_ARG(double, eps) = 1e-8;
  AXON_OPTIM_ARG(double, weight_decay) = 0;
  AXON_OPTIM_ARG(double, momentum) = 0;
  AXON_OPTIM_ARG(bool, centered) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  bool has_momentum() const override { return true; }
  double get_momentum() const override { return momentum(); }
  void set_momentum(double momentum) override { this->momentum(momentum); }
  std::vector<OptionField> fields() override;
};

struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  AXON_OPTIM_ARG(int64_t, step) = 0;
  AXON_OPTIM_ARG(Tensor, square_avg);
  AXON_OPTIM_ARG(Tensor, momentum_buffer);
  AXON_OPTIM_ARG(Tensor, grad_avg);

 public:
  std::vector<StateField> fields() override;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::vector<std::string> state_keys(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state() const override {
    return std::make_unique<RMSpropParamState>();
  }
};

}  // namespace axon::optim
