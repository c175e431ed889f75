// Anomaly detection (axon/autograd/anomaly_mode.h): under DetectAnomalyGuard the first backward
// node that returns nan or inf is named in the error, with the node that created the forward
// input its gradient is for. Node names are LibTorch's: x * 2 is mul with a Scalar, whose node
// is MulBackward1 (Python wraps the 2 in a tensor and gets MulBackward0).
//
// Every non-finite value below follows from IEEE arithmetic: sqrt(-2) = nan, so SqrtBackward0's
// g / (2 * sqrt(y)) is nan; d/dy log(y) = 1 / 0 = inf at y = 0; d/db (a / b) = -a / b^2 = 0 / 0.
#include <atomic>
#include <thread>

#include "test_utils.h"

namespace axon {
namespace {

using autograd::AnomalyMode;
using autograd::AutogradContext;
using autograd::DetectAnomalyGuard;
using autograd::Function;
using autograd::variable_list;
using testing::kNaN;
using testing::same_values;

class AnomalyTest : public testing::Float64DeviceTest {};

TEST_P(AnomalyTest, SqrtOfNegativeNamesBothOps) {
  Tensor x = leaf({-1.0, 4.0});
  Tensor loss = (x * 2).sqrt().sum();
  DetectAnomalyGuard detect_anomaly;
  EXPECT_AXON_ERROR(loss.backward(),
                    "Function 'SqrtBackward0' returned nan values in its 0th output, the gradient "
                    "of an input created by 'MulBackward1'");
}

TEST_P(AnomalyTest, LogOfZeroGivesInf) {
  Tensor x = leaf({0.0, 1.0});
  Tensor loss = (x * 3).log().sum();
  DetectAnomalyGuard detect_anomaly;
  EXPECT_AXON_ERROR(loss.backward(),
                    "Function 'LogBackward0' returned inf values in its 0th output, the gradient "
                    "of an input created by 'MulBackward1'");
}

// 0 / 0: the numerator needs no gradient, so DivBackward0's first anomaly is in output 1
// (-g * a / b^2 = -0 / 0 = nan), the gradient of the denominator.
TEST_P(AnomalyTest, ZeroByZeroNamesTheOutputIndex) {
  Tensor x = leaf({0.0});
  Tensor loss = (make({0.0}) / (x * 5)).sum();
  DetectAnomalyGuard detect_anomaly;
  EXPECT_AXON_ERROR(loss.backward(),
                    "Function 'DivBackward0' returned nan values in its 1th output, the gradient "
                    "of an input created by 'MulBackward1'");
}

TEST_P(AnomalyTest, InputThatIsALeaf) {
  Tensor x = leaf({-1.0});
  Tensor loss = x.sqrt().sum();
  DetectAnomalyGuard detect_anomaly;
  EXPECT_AXON_ERROR(loss.backward(),
                    "Function 'SqrtBackward0' returned nan values in its 0th output, the gradient "
                    "of a leaf tensor");
  // autograd::grad runs the same engine.
  EXPECT_AXON_ERROR(autograd::grad({x.sqrt().sum()}, {x}), "'SqrtBackward0' returned nan");
}

// Finite everywhere: anomaly mode changes nothing (the gradient of sum((2x)^2) is 8x).
TEST_P(AnomalyTest, FiniteGradientsPass) {
  Tensor x = leaf({-1.0, 0.5});
  DetectAnomalyGuard detect_anomaly;
  (x * 2).pow(2).sum().backward();
  EXPECT_TRUE(same_values(x.grad(), ref({-8.0, 4.0})));
}

// As in PyTorch, without anomaly mode the nan gradient flows through to the leaf.
TEST_P(AnomalyTest, OffTheNanFlowsThrough) {
  ASSERT_FALSE(AnomalyMode::is_enabled());
  Tensor x = leaf({-1.0, 4.0});
  (x * 2).sqrt().sum().backward();
  // d/dx sqrt(2x) = 1 / sqrt(2x): nan at -1, 1 / sqrt(8) at 4.
  EXPECT_TRUE(same_values(x.grad(), ref({kNaN, 1.0 / std::sqrt(8.0)}), 1e-15));
}

// check_nan = false turns the mode on without checking gradients (LibTorch's meaning).
TEST_P(AnomalyTest, CheckNanFalseDoesNotCheck) {
  Tensor x = leaf({-1.0});
  DetectAnomalyGuard detect_anomaly(/*check_nan=*/false);
  EXPECT_TRUE(AnomalyMode::is_enabled());
  x.sqrt().sum().backward();
  EXPECT_TRUE(same_values(x.grad(), ref({kNaN})));
}

// A custom Function's backward is checked like a built-in one and named as PyTorch names it.
struct NanGrad : Function<NanGrad> {
  static Tensor forward(AutogradContext* /*ctx*/, Tensor x) { return x.clone(); }
  static variable_list backward(AutogradContext* /*ctx*/, variable_list grads) {
    return {grads[0] * kNaN};
  }
};

TEST_P(AnomalyTest, CustomFunction) {
  Tensor x = leaf({1.0, 2.0});
  Tensor loss = NanGrad::apply(x.exp()).sum();
  DetectAnomalyGuard detect_anomaly;
  EXPECT_AXON_ERROR(loss.backward(),
                    "Function 'NanGradBackward' returned nan values in its 0th output, the "
                    "gradient of an input created by 'ExpBackward0'");
}

// With create_graph the check runs while the backward records a graph, and it also covers the
// nodes that backward recorded. y = 2x at x = 0: d/dx y^1.5 = 3 * y^0.5 = 0 is finite, but
// the second derivative goes through the backward's y.pow(0.5), whose gradient 0.5 * y^-0.5 is
// inf at 0.
TEST_P(AnomalyTest, CreateGraphBackward) {
  Tensor x = leaf({0.0});
  Tensor y = x * 2;
  DetectAnomalyGuard detect_anomaly;
  variable_list g = autograd::grad({y.pow(1.5).sum()}, {x}, {}, std::nullopt,
                                   /*create_graph=*/true);
  EXPECT_TRUE(same_values(g[0], ref({0.0})));
  EXPECT_AXON_ERROR(g[0].sum().backward(),
                    "Function 'PowBackward0' returned inf values in its 0th output, the gradient "
                    "of an input created by 'MulBackward1'");

  // And a first backward with create_graph fails as one without.
  Tensor z = leaf({-1.0});
  EXPECT_AXON_ERROR((z * 2).sqrt().sum().backward({}, std::nullopt, /*create_graph=*/true),
                    "'SqrtBackward0' returned nan values in its 0th output, the gradient of an "
                    "input created by 'MulBackward1'");
}

AXON_INSTANTIATE_DEVICE_TEST(AnomalyTest);

TEST(AnomalyModeTest, OffByDefault) {
  EXPECT_FALSE(AnomalyMode::is_enabled());
  EXPECT_TRUE(AnomalyMode::should_check_nan());
}

TEST(AnomalyModeTest, GuardsNestAndRestore) {
  {
    DetectAnomalyGuard outer;
    EXPECT_TRUE(AnomalyMode::is_enabled());
    EXPECT_TRUE(AnomalyMode::should_check_nan());
    {
      DetectAnomalyGuard inner(/*check_nan=*/false);
      EXPECT_TRUE(AnomalyMode::is_enabled());
      EXPECT_FALSE(AnomalyMode::should_check_nan());
    }
    EXPECT_TRUE(AnomalyMode::is_enabled());
    EXPECT_TRUE(AnomalyMode::should_check_nan());
  }
  EXPECT_FALSE(AnomalyMode::is_enabled());
  EXPECT_TRUE(AnomalyMode::should_check_nan());

  AnomalyMode::set_enabled(true);
  { DetectAnomalyGuard nested; }
  EXPECT_TRUE(AnomalyMode::is_enabled());  // a guard restores what it found, even if it was on
  AnomalyMode::set_enabled(false);
  EXPECT_FALSE(AnomalyMode::is_enabled());
}

// The mode is process-wide, as LibTorch's: a backward on another thread sees it.
TEST(AnomalyModeTest, IsGlobal) {
  DetectAnomalyGuard detect_anomaly;
  std::atomic<bool> seen{false};
  std::atomic<bool> threw{false};
  std::thread worker([&] {
    seen = AnomalyMode::is_enabled();
    Tensor x = tensor({-1.0}, TensorOptions(kFloat64)).requires_grad_();
    try {
      x.sqrt().sum().backward();
    } catch (const Error&) {
      threw = true;
    }
  });
  worker.join();
  EXPECT_TRUE(seen);
  EXPECT_TRUE(threw);
}

}  // namespace
}  // namespace axon
