#pragma once
// Stochastic gradient descent, optionally with (Nesterov) momentum, as torch.optim.SGD.

#include <memory>
#include <string>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

struct SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  SGDOptions(double lr);  // NOLINT(google-explicit-constructor): LibTorch allows SGD(params, 0.1)
  AXON_OPTIM_ARG(double, lr);
  AXON_OPTIM_ARG(double, momentum) = 0;
  AXON_OPTIM_ARG(double, dampening) = 0;
  AXON_OPTIM_ARG(double, weight_decay) = 0;
  AXON_OPTIM_ARG(bool, nesterov) = false;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  bool has_momentum() const override { return true; }
  double get_momentum() const override { return momentum(); }
  void set_momentum(double momentum) override { this->momentum(momentum); }
  std::vector<OptionField> fields() override;
};

struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  AXON_OPTIM_ARG(Tensor, momentum_buffer);

 public:
  std::vector<StateField> fields() override { return {{"momentum_buffer", &momentum_buffer_}}; }
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  explicit SGD(std::vector<Tensor> params, SGDOptions defaults);

  Tensor step(LossClosure closure = nullptr) override;

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::vector<std::string> state_keys(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state() const override {
    return std::make_unique<SGDParamState>();
  }
};

}  // namespace axon::optim
