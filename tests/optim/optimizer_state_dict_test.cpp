// Optimizer::state_dict / load_state_dict (axon/optim/optimizer.h): PyTorch's flattened names,
// a round trip through a fresh optimizer that continues exactly as an uninterrupted run, and
// the errors for a dict that does not fit.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::same;

using MakeOptimizer =
    std::function<std::unique_ptr<optim::Optimizer>(std::vector<optim::OptimizerParamGroup>)>;

struct Config {
  std::string name;
  MakeOptimizer make;
};

template <typename Opt, typename Options>
MakeOptimizer maker(Options options) {
  return [options](std::vector<optim::OptimizerParamGroup> groups) {
    return std::make_unique<Opt>(std::move(groups), options);
  };
}

std::vector<Config> configs() {
  return {
      {"SGD nesterov", maker<optim::SGD>(optim::SGDOptions(0.1).momentum(0.9).nesterov(true))},
      {"Adam amsgrad", maker<optim::Adam>(optim::AdamOptions(0.05).amsgrad(true))},
      {"AdamW", maker<optim::AdamW>(optim::AdamWOptions(0.05).weight_decay(0.1))},
      {"RMSprop centered momentum",
       maker<optim::RMSprop>(optim::RMSpropOptions(0.01).momentum(0.5).centered(true))},
      {"Adagrad lr_decay", maker<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.05))},
  };
}

class OptimizerStateDictTest : public testing::Float64DeviceTest {
 protected:
  std::vector<Tensor> fresh_params() const {
    return {leaf({{0.5, -1.0}, {1.5, 0.25}}), leaf({0.3, -0.7, 1.1}), leaf({2.0})};
  }
  // Two groups: the first two parameters, then the third.
  static std::vector<optim::OptimizerParamGroup> groups_of(const std::vector<Tensor>& p) {
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{p[0], p[1]});
    groups.emplace_back(std::vector<Tensor>{p[2]});
    return groups;
  }
  // A step with gradients that depend on the parameters (a nonlinear loss).
  static void train_step(optim::Optimizer& opt, const std::vector<Tensor>& p) {
    opt.zero_grad();
    Tensor loss = (sin(p[0]) * p[0]).sum() + p[1].pow(2).sum() * p[2].sum() + tanh(p[2]).sum();
    loss.backward();
    opt.step();
  }
};

TEST_P(OptimizerStateDictTest, RoundTripContinuesExactlyLikeAnUninterruptedRun) {
  for (const Config& config : configs()) {
    SCOPED_TRACE(config.name);
    std::vector<Tensor> a = fresh_params();
    std::unique_ptr<optim::Optimizer> uninterrupted = config.make(groups_of(a));
    for (int i = 0; i < 6; ++i) train_step(*uninterrupted, a);

    std::vector<Tensor> b = fresh_params();
    std::unique_ptr<optim::Optimizer> first = config.make(groups_of(b));
    for (int i = 0; i < 3; ++i) train_step(*first, b);
    optim::OptimizerStateDict dict = first->state_dict();
    // A new run: new parameter tensors with the values reached, a new optimizer with another lr
    // (the dict's lr replaces it).
    std::vector<Tensor> c;
    for (const Tensor& p : b) c.push_back(p.detach().clone().requires_grad_());
    std::unique_ptr<optim::Optimizer> resumed = config.make(groups_of(c));
    for (optim::OptimizerParamGroup& group : resumed->param_groups()) {
      group.options().set_lr(123.0);
    }
    first.reset();
    resumed->load_state_dict(dict);
    for (int i = 0; i < 3; ++i) train_step(*resumed, c);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same(c[i], a[i])) << "parameter " << i;
  }
}

double scalar(const optim::OptimizerStateDict& dict, const std::string& key) {
  for (const auto& [name, value] : dict.scalars) {
    if (name == key) return value;
  }
  ADD_FAILURE() << "no scalar " << key;
  return 0;
}

Tensor tensor_entry(const optim::OptimizerStateDict& dict, const std::string& key) {
  for (const auto& [name, value] : dict.tensors) {
    if (name == key) return value;
  }
  ADD_FAILURE() << "no tensor " << key;
  return {};
}

std::vector<std::string> tensor_names(const optim::OptimizerStateDict& dict) {
  std::vector<std::string> names;
  for (const auto& entry : dict.tensors) names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  return names;
}

TEST_P(OptimizerStateDictTest, NamesFollowPyTorchsStateDict) {
  std::vector<Tensor> p = fresh_params();
  optim::Adam adam(groups_of(p), optim::AdamOptions(0.05).betas({0.8, 0.99}));
  train_step(adam, p);
  train_step(adam, p);
  optim::OptimizerStateDict dict = adam.state_dict();
  EXPECT_EQ(
      tensor_names(dict),
      (std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.1.exp_avg",
                                "state.1.exp_avg_sq", "state.2.exp_avg", "state.2.exp_avg_sq"}));
  // The step count is a scalar (PyTorch's float32 tensor would stop counting exactly at 2^24).
  EXPECT_EQ(scalar(dict, "state.1.step"), 2.0);
  // State tensors are shared, as PyTorch's state_dict() shares them.
  auto& state = static_cast<optim::AdamParamState&>(*adam.state().at(p[0].unsafeGetTensorImpl()));
  EXPECT_TRUE(tensor_entry(dict, "state.0.exp_avg").is_same(state.exp_avg()));
  EXPECT_EQ(scalar(dict, "param_groups.0.lr"), 0.05);
  EXPECT_EQ(scalar(dict, "param_groups.1.betas.0"), 0.8);
  EXPECT_EQ(scalar(dict, "param_groups.1.betas.1"), 0.99);
  EXPECT_EQ(scalar(dict, "param_groups.0.amsgrad"), 0.0);
  EXPECT_EQ(scalar(dict, "param_groups.0.eps"), 1e-8);
  EXPECT_EQ(scalar(dict, "param_groups.0.weight_decay"), 0.0);
  EXPECT_EQ(scalar(dict, "param_groups.0.params.0"), 0.0);
  EXPECT_EQ(scalar(dict, "param_groups.0.params.1"), 1.0);
  EXPECT_EQ(scalar(dict, "param_groups.1.params.0"), 2.0);  // numbered across groups
  EXPECT_EQ(dict.scalars.size(), 2u * 6u + 3u + 3u);

  // SGD without momentum has no state; with momentum, a buffer per parameter that had a grad.
  optim::SGD plain(fresh_params(), 0.1);
  EXPECT_TRUE(plain.state_dict().tensors.empty());
  EXPECT_EQ(plain.state_dict().scalars.size(), 5u + 3u);
  std::vector<Tensor> q = fresh_params();
  optim::SGD momentum(q, optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
  q[1].mutable_grad() = make({1.0, 1.0, 1.0});
  momentum.step();
  EXPECT_EQ(tensor_names(momentum.state_dict()),
            std::vector<std::string>{"state.1.momentum_buffer"});
  EXPECT_EQ(scalar(momentum.state_dict(), "param_groups.0.nesterov"), 1.0);
  EXPECT_EQ(scalar(momentum.state_dict(), "param_groups.0.dampening"), 0.0);

  optim::RMSprop rmsprop(p, optim::RMSpropOptions().momentum(0.5).centered(true));
  train_step(rmsprop, p);
  EXPECT_EQ(tensor_names(rmsprop.state_dict()).size(), 3u * 3u);
  EXPECT_EQ(scalar(rmsprop.state_dict(), "state.0.step"), 1.0);
  tensor_entry(rmsprop.state_dict(), "state.2.grad_avg");
  tensor_entry(rmsprop.state_dict(), "state.2.momentum_buffer");
  tensor_entry(rmsprop.state_dict(), "state.0.square_avg");
  optim::Adagrad adagrad(p);
  EXPECT_EQ(tensor_names(adagrad.state_dict()),
            (std::vector<std::string>{"state.0.sum", "state.1.sum", "state.2.sum"}));
  EXPECT_EQ(scalar(adagrad.state_dict(), "state.2.step"), 0.0);
  EXPECT_EQ(scalar(adagrad.state_dict(), "param_groups.0.initial_accumulator_value"), 0.0);
  EXPECT_EQ(scalar(adagrad.state_dict(), "param_groups.0.lr_decay"), 0.0);
}

// Replaces (or with an undefined value, removes) one entry.
template <typename Value>
void set_entry(std::vector<std::pair<std::string, Value>>& entries, const std::string& key,
               const Value& value, bool remove = false) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first != key) continue;
    if (remove) {
      entries.erase(it);
    } else {
      it->second = value;
    }
    return;
  }
  entries.emplace_back(key, value);
}

TEST_P(OptimizerStateDictTest, LoadingAMismatchedDictIsAnErrorNamingTheKey) {
  std::vector<Tensor> p = fresh_params();
  optim::Adam saved(groups_of(p), optim::AdamOptions(0.05));
  train_step(saved, p);
  const optim::OptimizerStateDict good = saved.state_dict();

  std::vector<Tensor> q = fresh_params();
  optim::Adam target(groups_of(q), optim::AdamOptions(0.5));
  auto expect_rejected = [&](const optim::OptimizerStateDict& dict, const std::string& message) {
    EXPECT_AXON_ERROR(target.load_state_dict(dict), message);
    // Nothing changed.
    EXPECT_EQ(target.param_groups()[0].options().get_lr(), 0.5);
    EXPECT_TRUE(target.state().empty());
  };

  optim::OptimizerStateDict dict = good;
  set_entry(dict.scalars, "param_groups.0.lr", 0.0, true);
  expect_rejected(dict, "Adam.load_state_dict: missing key 'param_groups.0.lr'");

  dict = good;
  set_entry(dict.scalars, "param_groups.1.momentum", 0.9);
  expect_rejected(dict, "unexpected key 'param_groups.1.momentum'");

  dict = good;
  set_entry(dict.scalars, "param_groups.2.lr", 0.1);
  expect_rejected(dict, "key 'param_groups.2.lr' names parameter group 2, but the optimizer has 2");

  dict = good;
  set_entry(dict.scalars, "param_groups.1.params.1", 3.0);
  expect_rejected(dict, "unexpected key 'param_groups.1.params.1'");

  dict = good;
  set_entry(dict.scalars, "param_groups.1.params.0", 0.0);
  expect_rejected(dict, "parameter index 0 appears twice ('param_groups.1.params.0')");

  dict = good;
  set_entry(dict.scalars, "param_groups.0.amsgrad", 0.5);
  expect_rejected(dict, "'param_groups.0.amsgrad' is a flag, got 0.5");

  dict = good;
  set_entry(dict.scalars, "param_groups.0.lr", -1.0);
  expect_rejected(dict, "Adam: invalid learning rate: -1");

  dict = good;
  set_entry(dict.tensors, "state.0.exp_avg", Tensor(), true);
  expect_rejected(dict, "missing key 'state.0.exp_avg'");

  dict = good;
  set_entry(dict.tensors, "state.1.exp_avg_sq", zeros({2, 2}, options(kFloat64)));
  expect_rejected(dict, "'state.1.exp_avg_sq' has shape [2, 2], but the parameter has shape [3]");

  dict = good;
  set_entry(dict.tensors, "state.1.momentum_buffer", zeros({3}, options(kFloat64)));
  expect_rejected(dict, "unexpected key 'state.1.momentum_buffer'");

  dict = good;
  set_entry(dict.tensors, "state.0.max_exp_avg_sq", zeros({2, 2}, options(kFloat64)));
  expect_rejected(dict, "unexpected key 'state.0.max_exp_avg_sq' for the group's options");

  dict = good;
  set_entry(dict.tensors, "state.7.exp_avg", zeros({3}, options(kFloat64)));
  expect_rejected(dict, "key 'state.7.exp_avg' names parameter 7, which no group has");

  dict = good;
  set_entry(dict.tensors, "exp_avg", zeros({3}, options(kFloat64)));
  expect_rejected(dict, "unexpected key 'exp_avg'");

  dict = good;
  set_entry(dict.scalars, "state.0.step", -1.0);
  expect_rejected(dict, "'state.0.step' should be a step count, got -1");

  dict = good;
  set_entry(dict.scalars, "state.0.step", 2.5);
  expect_rejected(dict, "'state.0.step' should be a step count, got 2.5");

  dict = good;
  set_entry(dict.scalars, "state.0.step", 0.0, true);
  set_entry(dict.tensors, "state.0.step", full({}, 1.0, options(kFloat32)));
  expect_rejected(dict, "'state.0.step' should be a step count (a scalar), got a tensor");

  dict = good;
  set_entry(dict.tensors, "state.2.exp_avg", Tensor(), true);
  set_entry(dict.scalars, "state.2.exp_avg", 0.5);
  expect_rejected(dict, "'state.2.exp_avg' should be a tensor, got the scalar 0.5");

  dict = good;
  set_entry(dict.scalars, "state.1.step", 1.0);
  set_entry(dict.tensors, "state.1.step", full({}, 1.0, options(kFloat32)));
  expect_rejected(dict, "duplicate key 'state.1.step'");

  dict = good;
  set_entry(dict.scalars, "state.9.step", 1.0);
  expect_rejected(dict, "key 'state.9.step' names parameter 9, which no group has");

  dict = good;
  set_entry(dict.tensors, "state.0.exp_avg", zeros({2, 2}, options(kInt64)));
  expect_rejected(dict, "'state.0.exp_avg' should be a floating-point tensor");

  // A dict from a one-group optimizer does not fit two groups.
  optim::Adam one_group(fresh_params(), optim::AdamOptions(0.05));
  expect_rejected(one_group.state_dict(), "param_groups.");

  // The good dict loads, copying the tensors (the saved optimizer's state stays its own).
  target.load_state_dict(good);
  EXPECT_EQ(target.param_groups()[0].options().get_lr(), 0.05);
  auto& loaded =
      static_cast<optim::AdamParamState&>(*target.state().at(q[0].unsafeGetTensorImpl()));
  EXPECT_EQ(loaded.step(), 1);
  EXPECT_TRUE(same(loaded.exp_avg(), tensor_entry(good, "state.0.exp_avg")));
  EXPECT_FALSE(loaded.exp_avg().is_same(tensor_entry(good, "state.0.exp_avg")));
}

TEST_P(OptimizerStateDictTest, LoadingConvertsStateToTheParametersDtype) {
  Tensor w = leaf({1.0, 2.0});
  optim::SGD opt({w}, optim::SGDOptions(0.1).momentum(0.9));
  optim::OptimizerStateDict dict = opt.state_dict();
  dict.tensors.emplace_back("state.0.momentum_buffer", DeviceTest::make({0.5f, 0.25f}, kFloat32));
  opt.load_state_dict(dict);
  auto& state = static_cast<optim::SGDParamState&>(*opt.state().at(w.unsafeGetTensorImpl()));
  EXPECT_EQ(state.momentum_buffer().dtype(), kFloat64);
  EXPECT_EQ(state.momentum_buffer().device(), device());
  EXPECT_TRUE(same(state.momentum_buffer(), ref({0.5, 0.25})));
}

AXON_INSTANTIATE_DEVICE_TEST(OptimizerStateDictTest);

}  // namespace
}  // namespace axon
