#pragma once
// The optimizer base, as LibTorch's torch::optim::Optimizer: parameter groups, each with its own
// options (lr, momentum, ...), per-parameter state, zero_grad and step. Optimizers take the
// parameters as tensors, so they work with anything that hands out tensors:
//
//   axon::optim::SGD opt(model->parameters(), axon::optim::SGDOptions(0.01).momentum(0.9));
//   opt.zero_grad();
//   loss.backward();
//   opt.step();
//
// Numerics follow PyTorch's single-tensor (non-foreach) implementations in torch/optim/*.py.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "axon/tensor.h"

// An option with a chainable setter and a getter, as LibTorch's TORCH_ARG:
// SGDOptions(0.1).momentum(0.9) sets, options.momentum() reads.
#define AXON_OPTIM_ARG(T, name)                                   \
 public:                                                          \
  inline auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                                   \
    return *this;                                                 \
  }                                                               \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                  \
 private:                                                         \
  T name##_

namespace axon::optim {

// One option of a parameter group as state_dict names it (PyTorch's param_group key; a pair such
// as betas becomes betas.0 and betas.1), pointing at a number or a flag.
struct OptionField {
  OptionField(std::string_view name, double* number) : name(name), number(number) {}
  OptionField(std::string_view name, bool* flag) : name(name), flag(flag) {}
  std::string_view name;
  double* number = nullptr;
  bool* flag = nullptr;
};

// One entry of a parameter's state as state_dict names it (PyTorch's key), pointing at a tensor
// or at a step count (which state_dict carries as a scalar: an exact integer, where PyTorch keeps
// a float32 tensor that stops counting exactly at 2^24).
struct StateField {
  StateField(std::string_view name, Tensor* tensor) : name(name), tensor(tensor) {}
  StateField(std::string_view name, int64_t* count) : name(name), count(count) {}
  std::string_view name;
  Tensor* tensor = nullptr;
  int64_t* count = nullptr;
};

class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
  // The momentum a scheduler may cycle (OneCycleLR): SGD's and RMSprop's momentum, Adam's beta1.
  virtual bool has_momentum() const { return false; }
  virtual double get_momentum() const;
  virtual void set_momentum(double momentum);
  // Every option, for state_dict; the pointers are into this object.
  virtual std::vector<OptionField> fields() = 0;
};

// The options type's clone, so an options class only lists its fields.
template <typename Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

class OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
  // Every entry, for state_dict; the pointers are into this object.
  virtual std::vector<StateField> fields() = 0;
};

template <typename Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// A list of parameters with its own options; a group made without options takes the
// optimizer's defaults when it is added.
class OptimizerParamGroup {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): a list of tensors is a group, as in LibTorch.
  OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
      : params_(std::move(params)), options_(std::move(options)) {}
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) noexcept = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) noexcept = default;

  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }

 private:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
};

// An optimizer's state flattened to names, for checkpoints (axon/optim/checkpoint.h writes it).
// Names follow PyTorch's optimizer.state_dict(): parameters are numbered across groups in order;
//   tensors: "state.<param index>.<key>" (momentum_buffer, exp_avg, exp_avg_sq, max_exp_avg_sq,
//            square_avg, grad_avg, sum)
//   scalars: "state.<param index>.step", the step count;
//            "param_groups.<group>.<option>" (lr, momentum, betas.0, ...; flags as 0 or 1) and
//            "param_groups.<group>.params.<k>": the index of the group's k-th parameter.
struct OptimizerStateDict {
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::vector<std::pair<std::string, double>> scalars;
};

class Optimizer {
 public:
  using LossClosure = std::function<Tensor()>;

  // Errors name the optimizer as "Optimizer"; the optimizers here pass their own name.
  explicit Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults);
  explicit Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  virtual ~Optimizer() = default;

  // Updates the parameters that have a gradient; runs `closure` first (with grad mode on) and
  // returns its loss, or an undefined tensor without one.
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  // Adds a group; one without options gets a copy of the defaults.
  void add_param_group(const OptimizerParamGroup& param_group);
  // Adds parameters to the first group.
  void add_parameters(const std::vector<Tensor>& parameters);
  // Sets every parameter's gradient to undefined, or (set_to_none = false) to zeros, detached.
  void zero_grad(bool set_to_none = true);

  // The optimizer's type as errors name it ("SGD", "Adam", ...); checkpoints record it.
  const std::string& name() const noexcept { return name_; }
  // Every parameter, group after group.
  std::vector<Tensor> parameters() const;
  // The number of parameters.
  size_t size() const noexcept;
  OptimizerOptions& defaults() noexcept { return *defaults_; }
  const OptimizerOptions& defaults() const noexcept { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
  // Per-parameter state, keyed by the parameter's TensorImpl (p.unsafeGetTensorImpl()).
  std::unordered_map<void*, std::unique_ptr<OptimizerParamState>>& state() noexcept {
    return state_;
  }
  const std::unordered_map<void*, std::unique_ptr<OptimizerParamState>>& state() const noexcept {
    return state_;
  }

  // The options and state as names (see OptimizerStateDict). State tensors are shared, not
  // copied, as in PyTorch.
  OptimizerStateDict state_dict() const;
  // Restores what state_dict() gave: the group layout must match this optimizer's; group options
  // are replaced and state tensors are copied to each parameter's dtype and device. Every name,
  // count and shape is checked first; a mismatch is an axon::Error naming the key and nothing
  // is changed.
  void load_state_dict(const OptimizerStateDict& state_dict);

 protected:
  Optimizer(std::string name, std::vector<OptimizerParamGroup> param_groups,
            std::unique_ptr<OptimizerOptions> defaults);

  // Throws if a group's options are invalid (negative lr, ...); called for every group added.
  virtual void check_options(const OptimizerOptions& options) const;
  // The state keys a parameter has after a step under `options`; load_state_dict requires
  // exactly these for every parameter that has state.
  virtual std::vector<std::string> state_keys(const OptimizerOptions& options) const = 0;
  // A parameter's state with nothing set, for load_state_dict to fill.
  virtual std::unique_ptr<OptimizerParamState> make_param_state() const = 0;

  // `options` as the optimizer's own options type; throws if a group was given another type.
  template <typename Options>
  const Options& options_as(const OptimizerOptions& options) const {
    const auto* typed = dynamic_cast<const Options*>(&options);
    if (typed == nullptr) throw_wrong_options();
    return *typed;
  }
  // The state of `param`, made empty on first use.
  template <typename State>
  State& param_state(const Tensor& param) {
    std::unique_ptr<OptimizerParamState>& slot = state_[param.unsafeGetTensorImpl()];
    if (slot == nullptr) slot = std::make_unique<State>();
    return static_cast<State&>(*slot);
  }
  // Runs the closure, if any, with grad mode on.
  static Tensor run_closure(const LossClosure& closure);

  std::string name_;
  std::vector<OptimizerParamGroup> param_groups_;
  std::unordered_map<void*, std::unique_ptr<OptimizerParamState>> state_;
  std::unique_ptr<OptimizerOptions> defaults_;

 private:
  [[noreturn]] void throw_wrong_options() const;
  // The state of `param`, or nullptr.
  OptimizerParamState* find_state(const Tensor& param) const;
  // Throws if a tensor is undefined, not a leaf, or already in a group.
  void check_new_params(const std::vector<Tensor>& params, size_t group_index) const;
  // Adds a group without check_options (the constructor runs before the derived class exists).
  void add_group_unchecked(const OptimizerParamGroup& param_group);

  // load_state_dict's steps, each checking its part of the dict before anything changes.
  struct SavedParamState;
  // Each group's options from the "param_groups." scalars (which it consumes), and the saved
  // parameter ids as (parameter, group).
  std::vector<std::unique_ptr<OptimizerOptions>> load_group_options(
      std::map<std::string, double>& group_scalars,
      std::map<size_t, std::pair<Tensor, size_t>>* params_by_id) const;
  // One parameter's state from its saved entries (which it consumes).
  std::unique_ptr<OptimizerParamState> load_param_state(size_t id, const Tensor& param,
                                                        const OptimizerOptions& options,
                                                        SavedParamState& saved) const;
};

}  // namespace axon::optim
