// The optimizers (axon/optim/{optimizer,sgd,adam,adamw,rmsprop,adagrad}.h): five steps of each
// option combination against PyTorch (golden_optim.json, written by
// tests/reference/generate_optim_golden.py), parameter groups, skipped parameters, zero_grad,
// closures, and the errors for bad options and parameters.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "optim_golden.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::approx;
using testing::dtype_named;
using testing::golden_tensor;
using testing::json;
using testing::optim_golden;
using testing::same;

// ---- building optimizers from the golden file's cases ---------------------------------------

// Sets the options a case names (PyTorch's keywords) through the options' state_dict fields.
void apply_options(optim::OptimizerOptions& options, const json& spec) {
  std::vector<optim::OptionField> fields = options.fields();
  auto set = [&](const std::string& name, const json& value) {
    for (const optim::OptionField& field : fields) {
      if (field.name != name) continue;
      if (field.number != nullptr) {
        *field.number = value.get<double>();
      } else {
        *field.flag = value.get<bool>();
      }
      return;
    }
    throw std::runtime_error("golden file: unknown option " + name);
  };
  for (const auto& [key, value] : spec.items()) {
    if (key == "betas") {
      set("betas.0", value.at(0));
      set("betas.1", value.at(1));
    } else {
      set(key, value);
    }
  }
}

template <typename Opt, typename Options>
std::unique_ptr<optim::Optimizer> build(Options defaults, const json& c,
                                        const std::vector<Tensor>& params) {
  apply_options(defaults, c.at("options"));
  std::vector<optim::OptimizerParamGroup> groups;
  if (!c.contains("groups")) {
    groups.emplace_back(params);
  } else {
    for (const json& g : c.at("groups")) {
      std::vector<Tensor> members;
      for (int64_t i : g.at("params").get<std::vector<int64_t>>()) members.push_back(params.at(i));
      auto options = std::make_unique<Options>(defaults);
      apply_options(*options, g.at("options"));
      groups.emplace_back(members, std::move(options));
    }
  }
  return std::make_unique<Opt>(std::move(groups), defaults);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const json& c, const std::vector<Tensor>& params) {
  const std::string name = c.at("optimizer");
  if (name == "SGD") return build<optim::SGD>(optim::SGDOptions(0), c, params);
  if (name == "Adam") return build<optim::Adam>(optim::AdamOptions(), c, params);
  if (name == "AdamW") return build<optim::AdamW>(optim::AdamWOptions(), c, params);
  if (name == "RMSprop") return build<optim::RMSprop>(optim::RMSpropOptions(), c, params);
  if (name == "Adagrad") return build<optim::Adagrad>(optim::AdagradOptions(), c, params);
  throw std::runtime_error("golden file: unknown optimizer " + name);
}

const std::vector<std::string> kParamNames = {"w", "b", "v"};

std::vector<int64_t> param_shape(size_t i) {
  return optim_golden()["problem"]["init"][kParamNames[i]]["shape"].get<std::vector<int64_t>>();
}

// The problem's parameters (w, b, v) as leaves on `device`.
std::vector<Tensor> initial_params(DType dtype, Device device) {
  std::vector<Tensor> params;
  for (size_t i = 0; i < kParamNames.size(); ++i) {
    const json& init = optim_golden()["problem"]["init"][kParamNames[i]];
    params.push_back(golden_tensor(init["data"], param_shape(i), dtype, device).requires_grad_());
  }
  return params;
}

// Relative error bounds from the brief: PyTorch's float32 results to ~8 ulp, float64 to 1e-12.
// The absolute term only matters for elements that pass near zero.
double rtol_for(DType dtype) { return dtype == kFloat32 ? 1e-6 : 1e-12; }
double atol_for(DType dtype) { return dtype == kFloat32 ? 1e-7 : 1e-13; }

std::string describe(const json& c) {
  std::string s = c.at("optimizer").get<std::string>() + " " + c.at("options").dump() + " " +
                  c.at("dtype").get<std::string>();
  if (c.contains("groups")) s += " groups " + c.at("groups").dump();
  return s;
}

class OptimizerGoldenTest : public testing::DeviceTest {
 protected:
  // Replays every case of `optimizer`: each step gives the parameters PyTorch's gradients, steps,
  // and compares the parameters with PyTorch's. Returns the number of cases.
  int check_cases(const std::string& optimizer) {
    int cases = 0;
    for (const json& c : optim_golden()["optimizers"]) {
      if (c["optimizer"] != optimizer) continue;
      SCOPED_TRACE(describe(c));
      const DType dtype = dtype_named(c["dtype"]);
      std::vector<Tensor> params = initial_params(dtype, device());
      std::unique_ptr<optim::Optimizer> opt = make_optimizer(c, params);
      const json& steps = c["steps"];
      for (size_t k = 0; k < steps.size(); ++k) {
        for (size_t i = 0; i < params.size(); ++i) {
          params[i].mutable_grad() =
              golden_tensor(steps[k]["grads"][i], param_shape(i), dtype, device());
        }
        opt->step();
        for (size_t i = 0; i < params.size(); ++i) {
          Tensor expected = golden_tensor(steps[k]["params"][i], param_shape(i), dtype);
          EXPECT_TRUE(approx(params[i], expected, rtol_for(dtype), atol_for(dtype)))
              << "after step " << k + 1 << ", parameter " << kParamNames[i];
        }
      }
      ++cases;
    }
    return cases;
  }
};

TEST_P(OptimizerGoldenTest, SGDMatchesPyTorch) { EXPECT_EQ(check_cases("SGD"), 14); }
TEST_P(OptimizerGoldenTest, AdamMatchesPyTorch) { EXPECT_EQ(check_cases("Adam"), 10); }
TEST_P(OptimizerGoldenTest, AdamWMatchesPyTorch) { EXPECT_EQ(check_cases("AdamW"), 6); }
TEST_P(OptimizerGoldenTest, RMSpropMatchesPyTorch) { EXPECT_EQ(check_cases("RMSprop"), 10); }
TEST_P(OptimizerGoldenTest, AdagradMatchesPyTorch) { EXPECT_EQ(check_cases("Adagrad"), 8); }

// The golden problem's loss, in axon's ops.
Tensor problem_loss(const std::vector<Tensor>& p, const Tensor& x) {
  return 0.5 * tanh(x.matmul(p[0]) + p[1]).pow(2).sum() + 0.1 * p[2].pow(3).sum() + sin(p[2]).sum();
}

// Whole training steps (zero_grad, forward, backward, step) with axon's own gradients.
TEST_P(OptimizerGoldenTest, TrainingStepsWithBackwardMatchPyTorch) {
  const json& problem = optim_golden()["problem"];
  const Tensor x = golden_tensor(
      problem["x"]["data"], problem["x"]["shape"].get<std::vector<int64_t>>(), kFloat64, device());
  int cases = 0;
  for (const json& c : optim_golden()["optimizers"]) {
    if (c["dtype"] != "float64" || c.contains("groups")) continue;
    SCOPED_TRACE(describe(c));
    std::vector<Tensor> params = initial_params(kFloat64, device());
    std::unique_ptr<optim::Optimizer> opt = make_optimizer(c, params);
    for (const json& step : c["steps"]) {
      opt->zero_grad();
      problem_loss(params, x).backward();
      opt->step();
      for (size_t i = 0; i < params.size(); ++i) {
        // The gradients come from axon's autograd here, so the last bits may differ.
        EXPECT_TRUE(approx(params[i], golden_tensor(step["params"][i], param_shape(i), kFloat64),
                           1e-10, 1e-12));
      }
    }
    ++cases;
  }
  EXPECT_EQ(cases, 22);
}

AXON_INSTANTIATE_DEVICE_TEST(OptimizerGoldenTest);

// ---- behaviour ------------------------------------------------------------------------------

class OptimizerTest : public testing::Float64DeviceTest {};

TEST_P(OptimizerTest, LibTorchStyleTrainingStep) {
  Tensor w = leaf({1.0, -2.0});
  std::vector<Tensor> model_params = {w};
  optim::SGD opt(model_params, optim::SGDOptions(0.01).momentum(0.9));
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    Tensor loss = (w * w).sum();
    loss.backward();
    opt.step();
  }
  // Step 1: grad 2w = (2, -4), buffer = grad, w = (0.98, -1.96).
  // Step 2: grad (1.96, -3.92), buffer = 0.9 * (2, -4) + grad = (3.76, -7.52),
  //         w = (0.98 - 0.0376, -1.96 + 0.0752) = (0.9424, -1.8848).
  EXPECT_TRUE(approx(w, ref({0.9424, -1.8848}), 1e-15, 1e-15));
}

TEST_P(OptimizerTest, DefaultOptionsFollowPyTorch) {
  optim::AdamOptions adam;
  EXPECT_EQ(adam.lr(), 1e-3);
  EXPECT_EQ(adam.betas(), std::make_tuple(0.9, 0.999));
  EXPECT_EQ(adam.eps(), 1e-8);
  EXPECT_EQ(adam.weight_decay(), 0);
  EXPECT_FALSE(adam.amsgrad());
  optim::AdamWOptions adamw;
  EXPECT_EQ(adamw.lr(), 1e-3);
  EXPECT_EQ(adamw.weight_decay(), 1e-2);
  optim::RMSpropOptions rmsprop;
  EXPECT_EQ(rmsprop.lr(), 1e-2);
  EXPECT_EQ(rmsprop.alpha(), 0.99);
  EXPECT_EQ(rmsprop.eps(), 1e-8);
  EXPECT_EQ(rmsprop.momentum(), 0);
  EXPECT_FALSE(rmsprop.centered());
  optim::AdagradOptions adagrad;
  EXPECT_EQ(adagrad.lr(), 1e-2);
  EXPECT_EQ(adagrad.lr_decay(), 0);
  EXPECT_EQ(adagrad.initial_accumulator_value(), 0);
  EXPECT_EQ(adagrad.eps(), 1e-10);
  optim::SGDOptions sgd(0.5);
  EXPECT_EQ(sgd.momentum(), 0);
  EXPECT_EQ(sgd.dampening(), 0);
  EXPECT_FALSE(sgd.nesterov());
  // The builders chain and the getters read back.
  auto built = optim::AdamOptions(0.1).betas({0.8, 0.9}).eps(1e-6).weight_decay(0.5).amsgrad(true);
  EXPECT_EQ(built.betas(), std::make_tuple(0.8, 0.9));
  EXPECT_EQ(built.eps(), 1e-6);
  EXPECT_TRUE(built.amsgrad());
  // Adam made with no options uses the defaults.
  optim::Adam defaulted({leaf({1.0})});
  EXPECT_EQ(defaulted.param_groups()[0].options().get_lr(), 1e-3);
}

TEST_P(OptimizerTest, ParametersWithoutGradientsAreSkipped) {
  Tensor a = leaf({1.0, 2.0});
  Tensor b = leaf({3.0});
  Tensor frozen = make({4.0});  // does not require grad: allowed, as in PyTorch
  optim::Adam opt({a, b, frozen}, optim::AdamOptions(0.1));
  a.mutable_grad() = make({1.0, -1.0});
  opt.step();
  EXPECT_TRUE(same(b, ref({3.0})));
  EXPECT_TRUE(same(frozen, ref({4.0})));
  EXPECT_EQ(opt.state().count(b.unsafeGetTensorImpl()), 0u);
  EXPECT_EQ(opt.state().count(a.unsafeGetTensorImpl()), 1u);
  // Adam's first step moves each element by lr against the gradient's sign (to rounding).
  EXPECT_TRUE(approx(a, ref({0.9, 2.1}), 1e-7, 0));
  auto& state = static_cast<optim::AdamParamState&>(*opt.state().at(a.unsafeGetTensorImpl()));
  EXPECT_EQ(state.step(), 1);
  EXPECT_TRUE(approx(state.exp_avg(), ref({0.1, -0.1}), 1e-15, 0));
}

TEST_P(OptimizerTest, FirstMomentumStepTakesTheGradientAsTheBuffer) {
  Tensor w = leaf({1.0, 2.0});
  optim::SGD opt({w}, optim::SGDOptions(0.5).momentum(0.9).dampening(0.5));
  w.mutable_grad() = make({2.0, 4.0});
  opt.step();
  auto& state = static_cast<optim::SGDParamState&>(*opt.state().at(w.unsafeGetTensorImpl()));
  // No dampening on the first step: the buffer is the gradient, not a view of it.
  EXPECT_TRUE(same(state.momentum_buffer(), ref({2.0, 4.0})));
  EXPECT_FALSE(state.momentum_buffer().is_same(w.grad()));
  EXPECT_TRUE(same(w, ref({0.0, 0.0})));
  // Then buffer = 0.9 * buffer + 0.5 * grad = (1.8 + 1, 3.6 + 2) and w -= 0.5 * buffer.
  opt.step();
  EXPECT_TRUE(approx(state.momentum_buffer(), ref({2.8, 5.6}), 1e-15, 0));
  EXPECT_TRUE(approx(w, ref({-1.4, -2.8}), 1e-15, 0));
}

TEST_P(OptimizerTest, ZeroGradSetsGradientsToNoneByDefault) {
  Tensor w = leaf({1.0, 2.0});
  Tensor unused = leaf({3.0});
  optim::SGD opt({w, unused}, 0.1);
  (w * w).sum().backward();
  ASSERT_TRUE(w.grad().defined());
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(unused.grad().defined());
}

TEST_P(OptimizerTest, ZeroGradWithoutSetToNoneZeroesInPlaceAndDetaches) {
  Tensor w = leaf({1.0, 2.0});
  optim::SGD opt({w}, 0.1);
  (w * w).sum().backward();
  Tensor grad = w.grad();
  opt.zero_grad(false);
  EXPECT_TRUE(w.grad().is_same(grad));
  EXPECT_TRUE(same(w.grad(), ref({0.0, 0.0})));
  // A gradient with history (backward with create_graph) is detached.
  opt.zero_grad();
  (w * w * w).sum().backward({}, std::nullopt, /*create_graph=*/true);
  ASSERT_NE(w.grad().grad_fn(), nullptr);
  opt.zero_grad(false);
  EXPECT_EQ(w.grad().grad_fn(), nullptr);
  EXPECT_FALSE(w.grad().requires_grad());
  EXPECT_TRUE(same(w.grad(), ref({0.0, 0.0})));
}

TEST_P(OptimizerTest, StepRunsTheClosureWithGradModeOnAndReturnsItsLoss) {
  Tensor w = leaf({1.0, -1.0});
  optim::SGD opt({w}, 0.25);
  EXPECT_FALSE(opt.step().defined());
  NoGradGuard no_grad;  // the closure records its graph anyway
  Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = (w * w).sum();
    l.backward();
    return l;
  });
  EXPECT_TRUE(same(loss, ref(2.0)));
  EXPECT_TRUE(same(w, ref({0.5, -0.5})));  // w - 0.25 * 2w
}

TEST_P(OptimizerTest, UpdatesRunWithoutRecordingAndKeepParametersLeaves) {
  Tensor w = leaf({1.0});
  optim::RMSprop opt({w}, optim::RMSpropOptions(0.1).momentum(0.5).centered(true));
  w.mutable_grad() = make({1.0});
  opt.step();
  EXPECT_TRUE(w.is_leaf());
  EXPECT_EQ(w.grad_fn(), nullptr);
  EXPECT_TRUE(w.requires_grad());
}

TEST_P(OptimizerTest, ParamGroupsKeepTheirOwnOptions) {
  Tensor a = leaf({1.0});
  Tensor b = leaf({1.0});
  Tensor c = leaf({1.0});
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::SGDOptions>(0.5));
  optim::SGD opt(std::move(groups), optim::SGDOptions(0.1));
  // A group added without options copies the defaults: later changes to one do not leak.
  opt.add_param_group(optim::OptimizerParamGroup({c}));
  ASSERT_EQ(opt.param_groups().size(), 3u);
  opt.param_groups()[0].options().set_lr(0.25);
  EXPECT_EQ(opt.param_groups()[2].options().get_lr(), 0.1);
  EXPECT_EQ(opt.defaults().get_lr(), 0.1);
  EXPECT_EQ(opt.size(), 3u);
  std::vector<Tensor> all = opt.parameters();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[0].is_same(a) && all[1].is_same(b) && all[2].is_same(c));
  for (const Tensor& p : all) p.mutable_grad() = make({1.0});
  opt.step();
  EXPECT_TRUE(same(a, ref({0.75})));
  EXPECT_TRUE(same(b, ref({0.5})));
  EXPECT_TRUE(same(c, ref({0.9})));
  // add_parameters extends the first group.
  Tensor d = leaf({2.0});
  opt.add_parameters({d});
  EXPECT_EQ(opt.param_groups()[0].params().size(), 2u);
}

TEST_P(OptimizerTest, AdagradStateExistsFromConstruction) {
  Tensor w = leaf({1.0, 2.0});
  optim::Adagrad opt({w}, optim::AdagradOptions(0.1).initial_accumulator_value(0.5));
  auto& state = static_cast<optim::AdagradParamState&>(*opt.state().at(w.unsafeGetTensorImpl()));
  EXPECT_EQ(state.step(), 0);
  EXPECT_TRUE(same(state.sum(), ref({0.5, 0.5})));
  // A parameter added later gets its state on its first step.
  Tensor extra = leaf({1.0});
  opt.add_param_group(optim::OptimizerParamGroup({extra}));
  extra.mutable_grad() = make({2.0});
  opt.step();
  auto& later =
      static_cast<optim::AdagradParamState&>(*opt.state().at(extra.unsafeGetTensorImpl()));
  EXPECT_EQ(later.step(), 1);
  EXPECT_TRUE(same(later.sum(), ref({4.5})));
}

TEST_P(OptimizerTest, BadOptionsAreErrorsNamingTheOptimizerAndValue) {
  std::vector<Tensor> p = {leaf({1.0})};
  EXPECT_AXON_ERROR(optim::SGD(p, -0.1), "SGD: invalid learning rate: -0.1");
  EXPECT_AXON_ERROR(optim::SGD(p, optim::SGDOptions(0.1).momentum(-1)),
                    "SGD: invalid momentum value: -1");
  EXPECT_AXON_ERROR(optim::SGD(p, optim::SGDOptions(0.1).weight_decay(-0.5)),
                    "SGD: invalid weight_decay value: -0.5");
  EXPECT_AXON_ERROR(optim::SGD(p, optim::SGDOptions(0.1).nesterov(true)),
                    "SGD: Nesterov momentum requires a momentum and zero dampening (momentum 0");
  EXPECT_AXON_ERROR(
      optim::SGD(p, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
      "dampening 0.1");
  for (const char* name : {"Adam", "AdamW"}) {
    auto make_adam = [&](double lr, double beta1, double beta2, double eps, double wd) {
      if (std::string(name) == "Adam") {
        optim::Adam(p, optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(wd));
      } else {
        optim::AdamW(p, optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(wd));
      }
    };
    SCOPED_TRACE(name);
    EXPECT_AXON_ERROR(make_adam(-1, 0.9, 0.999, 1e-8, 0), "invalid learning rate: -1");
    EXPECT_AXON_ERROR(make_adam(0.1, 1.0, 0.999, 1e-8, 0), "invalid beta parameter at index 0: 1");
    EXPECT_AXON_ERROR(make_adam(0.1, -0.1, 0.999, 1e-8, 0), "at index 0: -0.1");
    EXPECT_AXON_ERROR(make_adam(0.1, 0.9, 1.5, 1e-8, 0), "invalid beta parameter at index 1: 1.5");
    EXPECT_AXON_ERROR(make_adam(0.1, 0.9, 0.999, -1e-8, 0), "invalid epsilon value: -1e-08");
    EXPECT_AXON_ERROR(make_adam(0.1, 0.9, 0.999, 1e-8, -2), "invalid weight_decay value: -2");
    EXPECT_AXON_ERROR(make_adam(-1, 0.9, 0.999, 1e-8, 0), std::string(name) + ": invalid");
  }
  EXPECT_AXON_ERROR(optim::RMSprop(p, optim::RMSpropOptions(-0.01)),
                    "RMSprop: invalid learning rate: -0.01");
  EXPECT_AXON_ERROR(optim::RMSprop(p, optim::RMSpropOptions().alpha(-0.5)),
                    "RMSprop: invalid alpha value: -0.5");
  EXPECT_AXON_ERROR(optim::RMSprop(p, optim::RMSpropOptions().momentum(-0.5)),
                    "RMSprop: invalid momentum value: -0.5");
  EXPECT_AXON_ERROR(optim::RMSprop(p, optim::RMSpropOptions().eps(-1)),
                    "RMSprop: invalid epsilon value: -1");
  EXPECT_AXON_ERROR(optim::RMSprop(p, optim::RMSpropOptions().weight_decay(-1)),
                    "RMSprop: invalid weight_decay value: -1");
  EXPECT_AXON_ERROR(optim::Adagrad(p, optim::AdagradOptions(-1)),
                    "Adagrad: invalid learning rate: -1");
  EXPECT_AXON_ERROR(optim::Adagrad(p, optim::AdagradOptions().lr_decay(-0.1)),
                    "Adagrad: invalid lr_decay value: -0.1");
  EXPECT_AXON_ERROR(optim::Adagrad(p, optim::AdagradOptions().initial_accumulator_value(-2)),
                    "Adagrad: invalid initial_accumulator_value value: -2");
  EXPECT_AXON_ERROR(optim::Adagrad(p, optim::AdagradOptions().eps(-1)),
                    "Adagrad: invalid epsilon value: -1");
  EXPECT_AXON_ERROR(optim::Adagrad(p, optim::AdagradOptions().weight_decay(-1)),
                    "Adagrad: invalid weight_decay value: -1");
}

TEST_P(OptimizerTest, BadParametersAreErrors) {
  Tensor w = leaf({1.0, 2.0});
  EXPECT_AXON_ERROR(optim::SGD(std::vector<Tensor>{}, 0.1),
                    "SGD: optimizer got an empty parameter list");
  EXPECT_AXON_ERROR(optim::Adam(std::vector<optim::OptimizerParamGroup>{}),
                    "Adam: optimizer got an empty parameter list");
  EXPECT_AXON_ERROR(optim::SGD({w * 2}, 0.1), "SGD: can't optimize a non-leaf Tensor");
  EXPECT_AXON_ERROR(optim::Adam({w, Tensor()}), "Adam: parameter 1 of group 0 is an undefined");
  EXPECT_AXON_ERROR(optim::SGD({w, w}, 0.1), "some parameters appear more than once");

  optim::SGD opt({w}, 0.1);
  EXPECT_AXON_ERROR(opt.add_param_group(optim::OptimizerParamGroup({w})),
                    "SGD: some parameters appear more than once in the parameter groups "
                    "(parameter 0 of group 1)");
  EXPECT_AXON_ERROR(opt.add_parameters({w}), "appear more than once");
  Tensor other = leaf({1.0});
  EXPECT_AXON_ERROR(opt.add_param_group(optim::OptimizerParamGroup(
                        {other}, std::make_unique<optim::SGDOptions>(-1))),
                    "SGD: invalid learning rate: -1");
  EXPECT_AXON_ERROR(opt.add_param_group(optim::OptimizerParamGroup(
                        {other}, std::make_unique<optim::AdamOptions>())),
                    "SGD: a parameter group has options of another optimizer");
  // Failed additions leave the optimizer as it was.
  EXPECT_EQ(opt.param_groups().size(), 1u);
  EXPECT_EQ(opt.size(), 1u);
}

AXON_INSTANTIATE_DEVICE_TEST(OptimizerTest);

}  // namespace
}  // namespace axon
