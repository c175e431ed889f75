// The learning-rate schedulers (axon/optim/schedulers/*.h): each one's lr sequence over 30 steps
// against PyTorch's (golden_optim.json, written by tests/reference/generate_optim_golden.py),
// OneCycleLR's momentum cycling, and the errors for bad arguments.
#include <memory>
#include <string>
#include <vector>

#include "axon/optim.h"
#include "optim_golden.h"
#include "test_utils.h"

namespace axon {
namespace {

using testing::json;
using testing::optim_golden;

// The golden file's optimizer: two groups with lrs 0.1 and 0.05 (SGD with momentum 0.9, or Adam).
struct Fixture {
  Tensor a = zeros({2}).requires_grad_();
  Tensor b = zeros({3}).requires_grad_();
  std::unique_ptr<optim::Optimizer> optimizer;

  explicit Fixture(const std::string& kind = "SGD") {
    std::vector<optim::OptimizerParamGroup> groups;
    if (kind == "Adam") {
      groups.emplace_back(std::vector<Tensor>{a});
      groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::AdamOptions>(0.05));
      optimizer = std::make_unique<optim::Adam>(std::move(groups), optim::AdamOptions(0.1));
    } else {
      optim::SGDOptions options = optim::SGDOptions(0.1).momentum(0.9);
      groups.emplace_back(std::vector<Tensor>{a});
      groups.emplace_back(std::vector<Tensor>{b},
                          std::make_unique<optim::SGDOptions>(optim::SGDOptions(options).lr(0.05)));
      optimizer = std::make_unique<optim::SGD>(std::move(groups), options);
    }
  }
  std::vector<double> momenta() const {
    std::vector<double> m;
    for (const auto& group : optimizer->param_groups()) m.push_back(group.options().get_momentum());
    return m;
  }
};

template <typename T>
T arg(const json& args, const char* name, T fallback) {
  return args.contains(name) ? args[name].get<T>() : fallback;
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const json& c, optim::Optimizer& opt) {
  const std::string name = c["scheduler"];
  const json& a = c["args"];
  if (name == "StepLR") {
    return std::make_unique<optim::StepLR>(opt, a["step_size"].get<int64_t>(),
                                           arg(a, "gamma", 0.1));
  }
  if (name == "MultiStepLR") {
    return std::make_unique<optim::MultiStepLR>(opt, a["milestones"].get<std::vector<int64_t>>(),
                                                arg(a, "gamma", 0.1));
  }
  if (name == "ExponentialLR") {
    return std::make_unique<optim::ExponentialLR>(opt, a["gamma"].get<double>());
  }
  if (name == "CosineAnnealingLR") {
    return std::make_unique<optim::CosineAnnealingLR>(opt, a["T_max"].get<int64_t>(),
                                                      arg(a, "eta_min", 0.0));
  }
  if (name == "LinearLR") {
    return std::make_unique<optim::LinearLR>(opt, arg(a, "start_factor", 1.0 / 3),
                                             arg(a, "end_factor", 1.0),
                                             arg<int64_t>(a, "total_iters", 5));
  }
  if (name == "OneCycleLR") {
    std::vector<double> max_lrs =
        a["max_lr"].is_array()
            ? a["max_lr"].get<std::vector<double>>()
            : std::vector<double>(opt.param_groups().size(), a["max_lr"].get<double>());
    auto strategy = arg<std::string>(a, "anneal_strategy", "cos") == "cos"
                        ? optim::OneCycleLR::cos
                        : optim::OneCycleLR::linear;
    return std::make_unique<optim::OneCycleLR>(
        opt, max_lrs, a["total_steps"].get<int64_t>(), arg(a, "pct_start", 0.3), strategy,
        arg(a, "cycle_momentum", true), arg(a, "base_momentum", 0.85), arg(a, "max_momentum", 0.95),
        arg(a, "div_factor", 25.0), arg(a, "final_div_factor", 1e4), arg(a, "three_phase", false));
  }
  throw std::runtime_error("golden file: unknown scheduler " + name);
}

// PyTorch's lrs to the last bit or two: the same double operations in the same order.
constexpr double kTolerance = 1e-12;

void expect_near_all(const std::vector<double>& actual, const json& expected, const char* what,
                     size_t step) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t g = 0; g < actual.size(); ++g) {
    const double want = expected[g].get<double>();
    EXPECT_NEAR(actual[g], want, kTolerance * std::max(1.0, std::abs(want)))
        << what << " of group " << g << " after step " << step;
  }
}

int check_golden(const std::string& scheduler) {
  int cases = 0;
  for (const json& c : optim_golden()["schedulers"]) {
    if (c["scheduler"] != scheduler) continue;
    SCOPED_TRACE(scheduler + " " + c["args"].dump());
    Fixture fixture(arg<std::string>(c["args"], "optimizer", "SGD"));
    optim::Optimizer& opt = *fixture.optimizer;
    std::unique_ptr<optim::LRScheduler> sched = make_scheduler(c, opt);
    const json& lrs = c["lrs"];
    for (size_t k = 0; k < lrs.size(); ++k) {
      if (k > 0) {
        opt.step();
        sched->step();
      }
      expect_near_all(sched->get_last_lr(), lrs[k], "lr", k);
      EXPECT_EQ(sched->last_epoch(), static_cast<int64_t>(k));
      for (size_t g = 0; g < 2; ++g) {
        EXPECT_EQ(opt.param_groups()[g].options().get_lr(), sched->get_last_lr()[g]);
      }
      if (c.contains("momentum"))
        expect_near_all(fixture.momenta(), c["momentum"][k], "momentum", k);
    }
    ++cases;
  }
  return cases;
}

TEST(LRSchedulerTest, StepLRMatchesPyTorch) { EXPECT_EQ(check_golden("StepLR"), 2); }
TEST(LRSchedulerTest, MultiStepLRMatchesPyTorch) { EXPECT_EQ(check_golden("MultiStepLR"), 2); }
TEST(LRSchedulerTest, ExponentialLRMatchesPyTorch) { EXPECT_EQ(check_golden("ExponentialLR"), 1); }
TEST(LRSchedulerTest, CosineAnnealingLRMatchesPyTorch) {
  EXPECT_EQ(check_golden("CosineAnnealingLR"), 2);
}
TEST(LRSchedulerTest, LinearLRMatchesPyTorch) { EXPECT_EQ(check_golden("LinearLR"), 2); }
TEST(LRSchedulerTest, OneCycleLRMatchesPyTorch) { EXPECT_EQ(check_golden("OneCycleLR"), 5); }

TEST(LRSchedulerTest, ReduceLROnPlateauMatchesPyTorch) {
  int cases = 0;
  for (const json& c : optim_golden()["schedulers"]) {
    if (c["scheduler"] != "ReduceLROnPlateau") continue;
    const json& a = c["args"];
    SCOPED_TRACE(a.dump());
    Fixture fixture;
    std::vector<double> min_lr;
    if (a.contains("min_lr")) {
      min_lr = a["min_lr"].is_array() ? a["min_lr"].get<std::vector<double>>()
                                      : std::vector<double>{a["min_lr"].get<double>()};
    }
    optim::ReduceLROnPlateau sched(
        *fixture.optimizer,
        arg<std::string>(a, "mode", "min") == "min" ? optim::ReduceLROnPlateau::min
                                                    : optim::ReduceLROnPlateau::max,
        arg(a, "factor", 0.1), arg<int64_t>(a, "patience", 10), arg(a, "threshold", 1e-4),
        arg<std::string>(a, "threshold_mode", "rel") == "rel" ? optim::ReduceLROnPlateau::rel
                                                              : optim::ReduceLROnPlateau::abs,
        arg<int64_t>(a, "cooldown", 0), min_lr, arg(a, "eps", 1e-8));
    const std::vector<double> metrics = c["metrics"].get<std::vector<double>>();
    for (size_t k = 0; k < metrics.size(); ++k) {
      sched.step(metrics[k]);
      expect_near_all(sched.get_last_lr(), c["lrs"][k], "lr", k + 1);
    }
    EXPECT_EQ(sched.last_epoch(), static_cast<int64_t>(metrics.size()));
    ++cases;
  }
  EXPECT_EQ(cases, 6);
}

TEST(LRSchedulerTest, OneCycleLRRefusesToStepPastTotalSteps) {
  Fixture fixture;
  optim::OneCycleLR sched(*fixture.optimizer, 0.5, 3);
  for (int i = 0; i < 3; ++i) sched.step();
  EXPECT_AXON_ERROR(sched.step(),
                    "OneCycleLR: tried to step 5 times. The specified number of total steps is 3");
}

TEST(LRSchedulerTest, OneCycleLRNeedsMomentumToCycleIt) {
  Tensor w = zeros({1}).requires_grad_();
  optim::Adagrad adagrad({w});
  EXPECT_AXON_ERROR(optim::OneCycleLR(adagrad, 0.1, 10),
                    "OneCycleLR: optimizer must support momentum with `cycle_momentum`");
  optim::OneCycleLR without(adagrad, 0.1, 10, 0.3, optim::OneCycleLR::cos, false);
  EXPECT_DOUBLE_EQ(without.get_last_lr()[0], 0.1 / 25);
}

TEST(LRSchedulerTest, BadArgumentsAreErrors) {
  Fixture fixture;
  optim::Optimizer& opt = *fixture.optimizer;
  EXPECT_AXON_ERROR(optim::StepLR(opt, 0), "StepLR: step_size must be positive, got 0");
  EXPECT_AXON_ERROR(optim::CosineAnnealingLR(opt, 0), "CosineAnnealingLR: T_max must be positive");
  EXPECT_AXON_ERROR(optim::LinearLR(opt, 0.0), "LinearLR: start_factor expected to be greater");
  EXPECT_AXON_ERROR(optim::LinearLR(opt, 1.5), "got 1.5");
  EXPECT_AXON_ERROR(optim::LinearLR(opt, 0.5, 1.2), "LinearLR: end_factor expected");
  EXPECT_AXON_ERROR(optim::LinearLR(opt, 0.5, 1.0, -1), "LinearLR: total_iters");
  EXPECT_AXON_ERROR(optim::OneCycleLR(opt, 0.1, 0),
                    "OneCycleLR: expected positive integer total_steps, but got 0");
  EXPECT_AXON_ERROR(optim::OneCycleLR(opt, 0.1, 10, 1.5), "pct_start, but got 1.5");
  EXPECT_AXON_ERROR(optim::OneCycleLR(opt, std::vector<double>{0.1}, 10),
                    "OneCycleLR: expected 2 values for max_lr, got 1");
  EXPECT_AXON_ERROR(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 1.0),
                    "ReduceLROnPlateau: factor should be < 1.0, got 1");
  EXPECT_AXON_ERROR(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 0.1, 10, 1e-4,
                                             optim::ReduceLROnPlateau::rel, 0, {0.1, 0.2, 0.3}),
                    "ReduceLROnPlateau: expected 2 min_lrs, got 3");
  // None of the failed constructions touched the lrs.
  EXPECT_EQ(opt.param_groups()[0].options().get_lr(), 0.1);
  EXPECT_EQ(opt.param_groups()[1].options().get_lr(), 0.05);
}

TEST(LRSchedulerTest, AGroupAddedAfterTheSchedulerIsAnError) {
  Fixture fixture;
  optim::Optimizer& opt = *fixture.optimizer;
  optim::CosineAnnealingLR cosine(opt, 10);
  optim::OneCycleLR one_cycle(opt, 0.5, 10);
  optim::ReduceLROnPlateau plateau(opt);
  opt.add_param_group(optim::OptimizerParamGroup({zeros({1}).requires_grad_()}));
  EXPECT_AXON_ERROR(cosine.step(),
                    "LRScheduler: the optimizer has 3 parameter groups, but had 2 when the "
                    "scheduler was made");
  EXPECT_AXON_ERROR(one_cycle.step(), "has 3 parameter groups, but had 2");
  EXPECT_AXON_ERROR(plateau.step(1.0), "ReduceLROnPlateau: the optimizer has 3 parameter groups");
}

TEST(LRSchedulerTest, SchedulersWorkForEveryOptimizer) {
  Tensor w = zeros({1}).requires_grad_();
  optim::RMSprop rmsprop({w}, optim::RMSpropOptions(0.2));
  optim::ExponentialLR sched(rmsprop, 0.5);
  sched.step();
  EXPECT_EQ(rmsprop.param_groups()[0].options().get_lr(), 0.1);
  EXPECT_EQ(static_cast<const optim::RMSpropOptions&>(rmsprop.param_groups()[0].options()).lr(),
            0.1);
}

}  // namespace
}  // namespace axon
