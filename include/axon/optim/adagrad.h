#pragma once
// Adagrad, as torch.optim.Adagrad.

#include <memory>
#include <string>
#include <vector>

#include "axon/optim/optimizer.h"

namespace axon::optim {

struct AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
  AdagradOptions(double lr = 1e-2);  // NOLINT(google-explicit-constructor): as LibTorch's
  AXON_OPTIM_ARG(double, lr);
  AXON_OPTIM_ARG(double, lr_decay) = 0;
  AXON_OPTIM_ARG(double, weight_decay) = 0;
  AXON_OPTIM_ARG(double, initial_accumulator_value) = 0;
  AXON_OPTIM_ARG(double, eps) = 1e-10;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(double lr) override { this->lr(lr); }
  std::vector<OptionField> fields() override;
};

struct AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
  AXON_OPTIM_ARG(Tensor, sum);
  AXON_OPTIM_ARG(int64_t, step) = 0;

 public:
  std::vector<StateField> fields() override { return {{"sum", &sum_}, {"step", &step_}}; }
};

class Adagrad : public Optimizer {
 public:
  // As PyTorch's, the state (step 0, sum = initial_accumulator_value) exists from construction.
  explicit Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  explicit Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});

  Tensor step(LossClosure closure = nullptr) override;

 protected:
  void check_options(const OptimizerOptions& options) const override;
  std::vector<std::string> state_keys(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_param_state() const override {
    return std::make_unique<AdagradParamState>();
  }

 private:
  void init_state(const Tensor& param, const AdagradOptions& options);
};

}  // namespace axon::optim
