// Elementwise ops, broadcasting, type promotion and in-place forms (functions.h, "Elementwise").
//
// Expected values are exact (small integers and binary fractions, justified where used) or were
// printed by PyTorch 1.13 (/usr/bin/python3); the torch expression is in the comment above them.
#include <cmath>
#include <functional>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::kInf;
using testing::kNaN;
using testing::same_values;

// float32 results of transcendental functions may differ from PyTorch's by an ulp or two.
constexpr double kF32Tol = 1e-6;
constexpr double kF64Tol = 1e-13;

class ElementwiseTest : public testing::DeviceTest {};

// ============================================================================================
// Arithmetic
// ============================================================================================

TEST_P(ElementwiseTest, AddTensorsAndAlpha) {
  // Binary fractions: every sum below is exact in float32.
  Tensor a = make({1.5, -2.0, 3.25});
  Tensor b = make({0.5, 4.0, -1.25});
  EXPECT_TRUE(same_values(add(a, b), ref({2.0, 2.0, 2.0})));
  EXPECT_TRUE(same_values(a.add(b, 2), ref({2.5, 6.0, 0.75})));
  EXPECT_TRUE(same_values(add(a, b, -0.5), ref({1.25, -4.0, 3.875})));
  // [1, 2] + 3 * [10, 20]
  EXPECT_TRUE(
      same_values(add(make({1, 2}, kInt64), make({10, 20}, kInt64), 3), ref({31, 62}, kInt64)));
}

TEST_P(ElementwiseTest, AddScalarOnEitherSide) {
  Tensor a = make({1.0, -2.5});
  EXPECT_TRUE(same_values(add(a, 2.5), ref({3.5, 0.0})));
  EXPECT_TRUE(same_values(a + 2.5, ref({3.5, 0.0})));
  EXPECT_TRUE(same_values(2.5 + a, ref({3.5, 0.0})));
  // 1 + 2 * 3 and -2.5 + 2 * 3
  EXPECT_TRUE(same_values(add(a, 3, 2), ref({7.0, 3.5})));
  EXPECT_TRUE(same_values(make({1, 2}, kInt64) + 5, ref({6, 7}, kInt64)));
}

TEST_P(ElementwiseTest, FloatingAlphaWithIntegerTensorIsAnError) {
  // torch.add(torch.tensor([1]), torch.tensor([2]), alpha=0.5):
  // "For integral input tensors, argument alpha must not be a floating point number."
  Tensor i = make({1}, kInt64);
  EXPECT_AXON_ERROR(add(i, i, 0.5), "argument alpha must not be a floating point number");
  EXPECT_AXON_ERROR(sub(i, i, 0.5), "argument alpha must not be a floating point number");
  EXPECT_AXON_ERROR(add(i, i, 0.5), "add");
}

TEST_P(ElementwiseTest, SubWithAlphaAndRsub) {
  // [10, 20] - 3 * [1, 2]
  EXPECT_TRUE(
      same_values(sub(make({10, 20}, kInt64), make({1, 2}, kInt64), 3), ref({7, 14}, kInt64)));
  Tensor a = make({1.0, 2.0});
  EXPECT_TRUE(same_values(a - make({0.5, 4.0}), ref({0.5, -2.0})));
  EXPECT_TRUE(same_values(sub(a, 0.25), ref({0.75, 1.75})));
  EXPECT_TRUE(same_values(a - 0.25, ref({0.75, 1.75})));
  EXPECT_TRUE(same_values(a.sub(1, 2), ref({-1.0, 0.0})));
  // rsub(self, other, alpha) = other - alpha * self: torch.rsub(torch.tensor([1., 2.]), 5.,
  // alpha=2) -> [3., 1.]
  EXPECT_TRUE(same_values(rsub(a, 5.0, 2), ref({3.0, 1.0})));
  EXPECT_TRUE(same_values(rsub(a, 5.0), ref({4.0, 3.0})));
  EXPECT_TRUE(same_values(5 - a, ref({4.0, 3.0})));
  EXPECT_TRUE(same_values(10 - make({1, 2}, kInt64), ref({9, 8}, kInt64)));
}

TEST_P(ElementwiseTest, Mul) {
  Tensor a = make({1.5, -2.0, 0.0});
  EXPECT_TRUE(same_values(mul(a, make({2.0, 0.25, 7.0})), ref({3.0, -0.5, 0.0})));
  EXPECT_TRUE(same_values(a * 2, ref({3.0, -4.0, 0.0})));
  EXPECT_TRUE(same_values(2 * a, ref({3.0, -4.0, 0.0})));
  EXPECT_TRUE(same_values(a.mul(-0.5), ref({-0.75, 1.0, -0.0})));
  EXPECT_TRUE(same_values(make({3, -4}, kInt64) * make({5, 6}, kInt64), ref({15, -24}, kInt64)));
  // bool * bool is logical and and stays bool.
  EXPECT_TRUE(same_values(make({true, true, false}, kBool) * make({true, false, false}, kBool),
                          ref({true, false, false}, kBool)));
}

TEST_P(ElementwiseTest, DivIsTrueDivision) {
  // torch.tensor([1, 2, 3]) / torch.tensor([2, 2, 2]) -> tensor([0.5000, 1.0000, 1.5000])
  Tensor q = div(make({1, 2, 3}, kInt64), make({2, 2, 2}, kInt64));
  EXPECT_TRUE(same_values(q, ref({0.5, 1.0, 1.5})));
  // torch.tensor([1, 0, -1]) / 0 -> tensor([inf, nan, -inf])
  EXPECT_TRUE(same_values(make({1, 0, -1}, kInt64) / 0, ref({kInf, kNaN, -kInf})));
  // 6 / torch.tensor([4, 3]) -> tensor([1.5000, 2.0000])
  EXPECT_TRUE(same_values(6 / make({4, 3}, kInt64), ref({1.5, 2.0})));
  Tensor a = make({1.0, -3.0});
  EXPECT_TRUE(same_values(a / 4, ref({0.25, -0.75})));
  EXPECT_TRUE(same_values(a.div(make({2.0, -0.5})), ref({0.5, 6.0})));
  EXPECT_TRUE(same_values(1.0 / make({0.5, 4.0}), ref({2.0, 0.25})));
  // Integer division by an integer tensor of another width still gives float32.
  EXPECT_TRUE(same_values(make({9}, kUInt8) / make({2}, kInt64), ref({4.5})));
  EXPECT_TRUE(same_values(make({1.0}, kFloat64) / make({4}, kInt64), ref({0.25}, kFloat64)));
}

TEST_P(ElementwiseTest, PowTensorScalar) {
  EXPECT_TRUE(same_values(pow(make({1.0, -2.0, 3.0}), 2), ref({1.0, 4.0, 9.0})));
  EXPECT_TRUE(same_values(make({4.0, 9.0}).pow(0.5), ref({2.0, 3.0})));
  // torch.pow(torch.tensor([2., 4., 0.5]), 3.5)
  EXPECT_TRUE(same_values(pow(make({2.0, 4.0, 0.5}), 3.5),
                          ref({11.313708305358887, 128.0, 0.0883883461356163}), kF32Tol));
  // An integer tensor to a float power is float32: torch.tensor([4, 9]).pow(0.5) -> [2., 3.]
  EXPECT_TRUE(same_values(make({4, 9}, kInt64).pow(0.5), ref({2.0, 3.0})));
  // torch.tensor([2, 3]) ** 2.0 -> tensor([4., 9.])
  EXPECT_TRUE(same_values(make({2, 3}, kInt64).pow(2.0), ref({4.0, 9.0})));
  EXPECT_TRUE(same_values(pow(make({1.0, 2.0}), 0), ref({1.0, 1.0})));
  EXPECT_TRUE(same_values(pow(make({2.0, 4.0}), -1), ref({0.5, 0.25})));
}

// aten's pow with a scalar exponent computes these exponents by the formulas below on the CPU
// and on CUDA (a copy, products, sqrt, reciprocals), not with std::pow; results match to the bit.
TEST_P(ElementwiseTest, PowScalarShortcutsAreTorchsArithmetic) {
  manual_seed(3);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = rand({1000}, TensorOptions(dtype)) * 3 + 0.1;
    const Tensor d = x.to(device());
    EXPECT_TRUE(testing::same(d.pow(0).cpu(), ones_like(x)));
    EXPECT_TRUE(testing::same(d.pow(1).cpu(), x));
    EXPECT_TRUE(testing::same(d.pow(2).cpu(), x * x));
    EXPECT_TRUE(testing::same(d.pow(3).cpu(), x * x * x));
    EXPECT_TRUE(testing::same(d.pow(0.5).cpu(), x.sqrt()));
    EXPECT_TRUE(testing::same(d.pow(-0.5).cpu(), 1 / x.sqrt()));
    EXPECT_TRUE(testing::same(d.pow(-1).cpu(), 1 / x));
    EXPECT_TRUE(testing::same(d.pow(-2).cpu(), 1 / (x * x)));
  }
}

TEST_P(ElementwiseTest, IntegerPow) {
  // Exact: 2^3, 3^3, (-2)^3, 0^3
  EXPECT_TRUE(same_values(pow(make({2, 3, -2, 0}, kInt64), 3), ref({8, 27, -8, 0}, kInt64)));
  EXPECT_TRUE(same_values(pow(make({5, 7}, kInt64), 0), ref({1, 1}, kInt64)));
  EXPECT_TRUE(same_values(pow(make({3}, kUInt8), 2), ref({9}, kUInt8)));
  // Negative integer exponents in a tensor follow C's integer division rules:
  // torch.tensor([1, -1, -1, 2, 3]) ** torch.tensor([-3, -3, -2, -1, 2]) -> [1, -1, 1, 0, 9]
  EXPECT_TRUE(same_values(pow(make({1, -1, -1, 2, 3}, kInt64), make({-3, -3, -2, -1, 2}, kInt64)),
                          ref({1, -1, 1, 0, 9}, kInt64)));
}

TEST_P(ElementwiseTest, IntegerToNegativeScalarPowerIsAnError) {
  // torch.tensor([2, 3]).pow(-1): "Integers to negative integer powers are not allowed."
  EXPECT_AXON_ERROR(pow(make({2, 3}, kInt64), -1),
                    "Integers to negative integer powers are not allowed");
  EXPECT_AXON_ERROR(make({2, 3}, kInt64).pow(-2), "pow");
  // A floating exponent is fine: torch.tensor([2, 4]).pow(-1.0) -> [0.5, 0.25]
  EXPECT_TRUE(same_values(make({2, 4}, kInt64).pow(-1.0), ref({0.5, 0.25})));
}

TEST_P(ElementwiseTest, PowTensorTensor) {
  // torch.pow(torch.tensor([2., 4., 9., 0.]), torch.tensor([0.5, -1., 1.5, 0.]))
  EXPECT_TRUE(same_values(pow(make({2.0, 4.0, 9.0, 0.0}), make({0.5, -1.0, 1.5, 0.0})),
                          ref({1.4142135381698608, 0.25, 27.0, 1.0}), kF32Tol));
  // Broadcast exponent: [[1, 2], [3, 4]] ** [2, 1]
  EXPECT_TRUE(same_values(pow(make({{1.0, 2.0}, {3.0, 4.0}}), make({2.0, 1.0})),
                          ref({{1.0, 2.0}, {9.0, 4.0}})));
  // int ** float 0-dim tensor promotes: torch.tensor([2, 3]) ** torch.tensor(0.5)
  EXPECT_TRUE(same_values(pow(make({4, 9}, kInt64), make(0.5)), ref({2.0, 3.0})));
  // float ** int 0-dim stays float32
  EXPECT_TRUE(same_values(pow(make({2.0, 3.0}), make(2, kInt64)), ref({4.0, 9.0})));
}

TEST_P(ElementwiseTest, PowScalarTensor) {
  // torch.pow(2, torch.tensor([0, 1, 3])) -> tensor([1, 2, 8]) (int64)
  EXPECT_TRUE(same_values(pow(2, make({0, 1, 3}, kInt64)), ref({1, 2, 8}, kInt64)));
  // torch.pow(2.5, torch.tensor([0, 1, 3])) -> tensor([1.0000, 2.5000, 15.6250])
  EXPECT_TRUE(same_values(pow(2.5, make({0, 1, 3}, kInt64)), ref({1.0, 2.5, 15.625})));
  EXPECT_TRUE(same_values(pow(4.0, make({0.5, -1.0})), ref({2.0, 0.25})));
  EXPECT_TRUE(same_values(pow(2.0, make({3.0}, kFloat64)), ref({8.0}, kFloat64)));
}

TEST_P(ElementwiseTest, MaximumMinimumPropagateNaN) {
  Tensor a = make({1.0, kNaN, 3.0, -kInf});
  Tensor b = make({kNaN, 2.0, 1.0, 0.0});
  // torch.maximum(tensor([1., nan, 3.]), tensor([nan, 2., 1.])) -> tensor([nan, nan, 3.])
  EXPECT_TRUE(same_values(maximum(a, b), ref({kNaN, kNaN, 3.0, 0.0})));
  EXPECT_TRUE(same_values(a.maximum(b), ref({kNaN, kNaN, 3.0, 0.0})));
  // torch.minimum(...) -> tensor([nan, nan, 1.])
  EXPECT_TRUE(same_values(minimum(a, b), ref({kNaN, kNaN, 1.0, -kInf})));
  EXPECT_TRUE(same_values(b.minimum(a), ref({kNaN, kNaN, 1.0, -kInf})));
}

TEST_P(ElementwiseTest, MaximumMinimumPromoteAndBroadcast) {
  // torch.maximum(torch.tensor([1, 5]), torch.tensor([2.5, 2.5])) -> tensor([2.5000, 5.0000])
  EXPECT_TRUE(same_values(maximum(make({1, 5}, kInt64), make({2.5, 2.5})), ref({2.5, 5.0})));
  EXPECT_TRUE(same_values(minimum(make({{1, 5}, {7, -3}}, kInt64), make({4}, kInt64)),
                          ref({{1, 4}, {4, -3}}, kInt64)));
  EXPECT_TRUE(same_values(maximum(make({true, false}, kBool), make({false, false}, kBool)),
                          ref({true, false}, kBool)));
}

// ============================================================================================
// Unary math
// ============================================================================================

TEST_P(ElementwiseTest, NegAbsSign) {
  Tensor x = make({-2.5, -0.0, 0.0, 3.0, kNaN});
  EXPECT_TRUE(same_values(neg(x), ref({2.5, 0.0, -0.0, -3.0, kNaN})));
  EXPECT_TRUE(same_values(-x, ref({2.5, 0.0, -0.0, -3.0, kNaN})));
  EXPECT_TRUE(same_values(abs(x), ref({2.5, 0.0, 0.0, 3.0, kNaN})));
  // torch.sign(tensor([-2., 0., 3., nan])) -> tensor([-1., 0., 1., 0.])
  EXPECT_TRUE(same_values(sign(make({-2.0, 0.0, 3.0, kNaN})), ref({-1.0, 0.0, 1.0, 0.0})));
  // Integer tensors stay integer.
  Tensor i = make({-3, 0, 4}, kInt64);
  EXPECT_TRUE(same_values(-i, ref({3, 0, -4}, kInt64)));
  EXPECT_TRUE(same_values(abs(i), ref({3, 0, 4}, kInt64)));
  EXPECT_TRUE(same_values(i.sign(), ref({-1, 0, 1}, kInt64)));
}

TEST_P(ElementwiseTest, NegAbsSignNegativeZeroSignbit) {
  // neg(0.) is -0. and abs(-0.) is +0., as IEEE negation and fabs give.
  EXPECT_TRUE(std::signbit(neg(make({0.0})).item<double>()));
  EXPECT_FALSE(std::signbit(abs(make({-0.0})).item<double>()));
}

TEST_P(ElementwiseTest, NegOfBoolIsAnError) {
  // -torch.tensor([True]): "Negation, the `-` operator, on a bool tensor is not supported."
  EXPECT_AXON_ERROR(-make({true}, kBool),
                    "Negation, the `-` operator, on a bool tensor is not supported");
}

TEST_P(ElementwiseTest, TranscendentalFloat32) {
  Tensor x = make({-2.5, -1.0, -0.25, 0.0, 0.5, 1.0, 3.0});
  // torch.exp(torch.tensor([-2.5, -1.0, -0.25, 0.0, 0.5, 1.0, 3.0])).tolist(), and so on.
  EXPECT_TRUE(same_values(exp(x),
                          ref({0.08208499848842621, 0.3678794503211975, 0.7788007855415344, 1.0,
                               1.6487212181091309, 2.7182817459106445, 20.08553695678711}),
                          kF32Tol));
  EXPECT_TRUE(same_values(sin(x),
                          ref({-0.5984721183776855, -0.8414709568023682, -0.24740396440029144, 0.0,
                               0.4794255495071411, 0.8414709568023682, 0.14112000167369843}),
                          kF32Tol));
  EXPECT_TRUE(same_values(cos(x),
                          ref({-0.8011435866355896, 0.5403023362159729, 0.9689124226570129, 1.0,
                               0.8775825500488281, 0.5403023362159729, -0.9899924993515015}),
                          kF32Tol));
  EXPECT_TRUE(same_values(tanh(x),
                          ref({-0.9866142868995667, -0.7615941762924194, -0.24491865932941437, 0.0,
                               0.46211716532707214, 0.7615941762924194, 0.9950547814369202}),
                          kF32Tol));
  EXPECT_TRUE(same_values(sigmoid(x),
                          ref({0.07585817575454712, 0.2689414322376251, 0.43782350420951843, 0.5,
                               0.622459352016449, 0.7310585975646973, 0.9525741338729858}),
                          kF32Tol));
}

TEST_P(ElementwiseTest, TranscendentalFloat64) {
  Tensor x = make({-2.5, -1.0, -0.25, 0.0, 0.5, 1.0, 3.0}, kFloat64);
  // The same inputs as .double(): values from torch in float64.
  EXPECT_TRUE(same_values(x.exp(),
                          ref({0.0820849986238988, 0.36787944117144233, 0.7788007830714049, 1.0,
                               1.6487212707001282, 2.718281828459045, 20.085536923187668},
                              kFloat64),
                          kF64Tol));
  EXPECT_TRUE(same_values(x.sin(),
                          ref({-0.5984721441039564, -0.8414709848078965, -0.24740395925452294, 0.0,
                               0.479425538604203, 0.8414709848078965, 0.1411200080598672},
                              kFloat64),
                          kF64Tol));
  EXPECT_TRUE(same_values(x.cos(),
                          ref({-0.8011436155469337, 0.5403023058681398, 0.9689124217106447, 1.0,
                               0.8775825618903728, 0.5403023058681398, -0.9899924966004454},
                              kFloat64),
                          kF64Tol));
  EXPECT_TRUE(same_values(x.tanh(),
                          ref({-0.9866142981514303, -0.7615941559557649, -0.24491866240370913, 0.0,
                               0.46211715726000974, 0.7615941559557649, 0.9950547536867305},
                              kFloat64),
                          kF64Tol));
  EXPECT_TRUE(same_values(x.sigmoid(),
                          ref({0.07585818002124355, 0.2689414213699951, 0.43782349911420193, 0.5,
                               0.6224593312018546, 0.7310585786300049, 0.9525741268224334},
                              kFloat64),
                          kF64Tol));
}

TEST_P(ElementwiseTest, LogSqrtRsqrtIncludingDomainEdges) {
  Tensor y = make({0.25, 1.0, 2.0, 10.0, 0.0, -1.0});
  // torch.log(torch.tensor([0.25, 1.0, 2.0, 10.0, 0.0, -1.0])) and likewise sqrt, rsqrt.
  EXPECT_TRUE(same_values(
      log(y), ref({-1.3862943649291992, 0.0, 0.6931471824645996, 2.3025851249694824, -kInf, kNaN}),
      kF32Tol));
  EXPECT_TRUE(same_values(
      sqrt(y), ref({0.5, 1.0, 1.4142135381698608, 3.1622776985168457, 0.0, kNaN}), kF32Tol));
  EXPECT_TRUE(same_values(
      rsqrt(y), ref({2.0, 1.0, 0.7071067690849304, 0.3162277638912201, kInf, kNaN}), kF32Tol));
  Tensor y64 = y.to(kFloat64);
  EXPECT_TRUE(same_values(
      y64.log(),
      ref({-1.3862943611198906, 0.0, 0.6931471805599453, 2.302585092994046, -kInf, kNaN}, kFloat64),
      kF64Tol));
  EXPECT_TRUE(same_values(
      y64.rsqrt(), ref({2.0, 1.0, 0.7071067811865475, 0.31622776601683794, kInf, kNaN}, kFloat64),
      kF64Tol));
}

TEST_P(ElementwiseTest, FloatingOpsOnIntegersGiveFloat32) {
  // torch.exp(torch.tensor([0, 1, 2])) -> float32 [1.0, 2.7182817459106445, 7.389056205749512]
  EXPECT_TRUE(same_values(exp(make({0, 1, 2}, kInt64)),
                          ref({1.0, 2.7182817459106445, 7.389056205749512}), kF32Tol));
  // torch.sqrt(torch.tensor([4, 9])) -> tensor([2., 3.])
  EXPECT_TRUE(same_values(sqrt(make({4, 9}, kInt64)), ref({2.0, 3.0})));
  EXPECT_TRUE(same_values(log(make({1}, kUInt8)), ref({0.0})));
  EXPECT_TRUE(same_values(sigmoid(make({0}, kInt64)), ref({0.5})));
}

TEST_P(ElementwiseTest, SigmoidSaturatesWithoutNaN) {
  // torch.sigmoid(torch.tensor([-100., 100., -20.])) -> [0.0, 1.0, 2.06115369216775e-09]
  EXPECT_TRUE(same_values(sigmoid(make({-100.0, 100.0, -20.0})),
                          ref({0.0, 1.0, 2.06115369216775e-09}), kF32Tol));
}

TEST_P(ElementwiseTest, ReluKeepsNaN) {
  // torch.relu(torch.tensor([-1., nan, 2.])) -> tensor([0., nan, 2.])
  EXPECT_TRUE(same_values(relu(make({-1.0, kNaN, 2.0, -0.0})), ref({0.0, kNaN, 2.0, -0.0})));
  EXPECT_TRUE(same_values(make({-4, 0, 7}, kInt64).relu(), ref({0, 0, 7}, kInt64)));
}

TEST_P(ElementwiseTest, Square) {
  EXPECT_TRUE(same_values(square(make({-1.5, 0.0, 3.0})), ref({2.25, 0.0, 9.0})));
  // torch.square(torch.tensor([-3, 4])) -> tensor([ 9, 16])
  EXPECT_TRUE(same_values(make({-3, 4}, kInt64).square(), ref({9, 16}, kInt64)));
  EXPECT_TRUE(same_values(square(make({kNaN, -kInf})), ref({kNaN, kInf})));
}

// ============================================================================================
// clamp
// ============================================================================================

TEST_P(ElementwiseTest, ClampKeepsNaN) {
  // torch.clamp(torch.tensor([1., nan, 10.]), 2., 5.) -> tensor([2., nan, 5.])
  Tensor x = make({1.0, kNaN, 10.0, 3.0});
  EXPECT_TRUE(same_values(clamp(x, 2.0, 5.0), ref({2.0, kNaN, 5.0, 3.0})));
  EXPECT_TRUE(same_values(clamp_min(x, 2.0), ref({2.0, kNaN, 10.0, 3.0})));
  EXPECT_TRUE(same_values(clamp_max(x, 5.0), ref({1.0, kNaN, 5.0, 3.0})));
  EXPECT_TRUE(same_values(clamp(x, std::nullopt, 5.0), ref({1.0, kNaN, 5.0, 3.0})));
  EXPECT_TRUE(same_values(x.clamp(2.0), ref({2.0, kNaN, 10.0, 3.0})));
}

TEST_P(ElementwiseTest, ClampWithMinAboveMaxGivesMax) {
  // torch.clamp(torch.tensor([1., 5., 9.]), 6, 4) -> tensor([4., 4., 4.])
  EXPECT_TRUE(same_values(clamp(make({1.0, 5.0, 9.0}), 6, 4), ref({4.0, 4.0, 4.0})));
}

TEST_P(ElementwiseTest, ClampIntegerTensor) {
  // torch.clamp(torch.tensor([1, 5, 9]), 2, 7) -> tensor([2, 5, 7]) (int64)
  Tensor i = make({1, 5, 9}, kInt64);
  EXPECT_TRUE(same_values(clamp(i, 2, 7), ref({2, 5, 7}, kInt64)));
  // Float bounds promote: torch.clamp(torch.tensor([1, 5, 10]), 2.5, 7.5) -> [2.5, 5.0, 7.5]
  Tensor j = make({1, 5, 10}, kInt64);
  EXPECT_TRUE(same_values(clamp(j, 2.5, 7.5), ref({2.5, 5.0, 7.5})));
  // torch.clamp_min(torch.tensor([1, 5, 10]), 2.5) -> tensor([ 2.5,  5.0, 10.0])
  EXPECT_TRUE(same_values(clamp_min(j, 2.5), ref({2.5, 5.0, 10.0})));
  // torch.clamp_max(torch.tensor([1, 5, 10]), 7.5) -> tensor([1.0, 5.0, 7.5])
  EXPECT_TRUE(same_values(clamp_max(j, 7.5), ref({1.0, 5.0, 7.5})));
}

TEST_P(ElementwiseTest, ClampWithoutBoundsIsAnError) {
  // torch.clamp(x): "torch.clamp: At least one of 'min' or 'max' must not be None"
  EXPECT_AXON_ERROR(clamp(make({1.0})), "clamp");
  EXPECT_AXON_ERROR(clamp(make({1.0})), "must not be None");
}

// ============================================================================================
// where and masked_fill
// ============================================================================================

TEST_P(ElementwiseTest, WhereTensorTensorBroadcasts) {
  Tensor c = make({{true}, {false}}, kBool);
  // torch.where(tensor([[True], [False]]), tensor([1., 2., 3.]), tensor(0.))
  EXPECT_TRUE(same_values(where(c, make({1.0, 2.0, 3.0}), make(0.0)),
                          ref({{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}})));
  // int and float operands promote: -> tensor([1.0000, 1.5000])
  Tensor c2 = make({true, false}, kBool);
  EXPECT_TRUE(same_values(where(c2, make({1, 2}, kInt64), make({0.5, 1.5})), ref({1.0, 1.5})));
  // A float64 0-dim operand does not widen float32: result float32.
  EXPECT_EQ(where(c2, make({1.0, 2.0}), make(0.5, kFloat64)).dtype(), kFloat32);
}

TEST_P(ElementwiseTest, WhereWithScalars) {
  Tensor c = make({true, false}, kBool);
  // torch.where(tensor([True, False]), 2.5, tensor([1, 2])) -> tensor([2.5000, 2.0000])
  EXPECT_TRUE(same_values(where(c, 2.5, make({1, 2}, kInt64)), ref({2.5, 2.0})));
  // torch.where(tensor([True, False]), tensor([1, 2]), 0.5) -> tensor([1.0000, 0.5000])
  EXPECT_TRUE(same_values(where(c, make({1, 2}, kInt64), 0.5), ref({1.0, 0.5})));
  // An int scalar does not widen float64: -> tensor([1., 2.], dtype=torch.float64)
  EXPECT_TRUE(same_values(where(c, 1, make({1.0, 2.0}, kFloat64)), ref({1.0, 2.0}, kFloat64)));
  EXPECT_TRUE(same_values(where(c, make({7, 8}, kInt64), 0), ref({7, 0}, kInt64)));
}

TEST_P(ElementwiseTest, WhereWithNonBoolConditionIsAnError) {
  // torch.where(torch.tensor([1, 0]), ...): "where expected condition to be a boolean tensor,
  // but got a tensor with dtype Long"
  Tensor x = make({1.0, 2.0});
  EXPECT_AXON_ERROR(where(make({1, 0}, kInt64), x, x), "expected condition to be a bool");
  EXPECT_AXON_ERROR(where(make({1, 0}, kInt64), x, x), "where");
  EXPECT_AXON_ERROR(where(make({1.0, 0.0}), 1.0, x), "where");
  EXPECT_AXON_ERROR(where(make({1, 0}, kUInt8), x, 0.0), "where");
}

TEST_P(ElementwiseTest, MaskedFillBroadcastsMask) {
  Tensor x = make({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor mask = make({true, false, true}, kBool);
  EXPECT_TRUE(same_values(masked_fill(x, mask, -1.0), ref({{-1.0, 2.0, -1.0}, {-1.0, 5.0, -1.0}})));
  EXPECT_TRUE(same_values(x.masked_fill(make({{true}, {false}}, kBool), kNaN),
                          ref({{kNaN, kNaN, kNaN}, {4.0, 5.0, 6.0}})));
  EXPECT_TRUE(same_values(x.masked_fill(make(true, kBool), 0), ref({{0, 0, 0}, {0, 0, 0}})));
  // The input is unchanged.
  EXPECT_TRUE(same_values(x, ref({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}})));
}

TEST_P(ElementwiseTest, MaskedFillKeepsTheTensorsDtype) {
  // torch.tensor([1, 2, 3]).masked_fill(torch.tensor([True, False, True]), 2.5) -> [2, 2, 2]
  Tensor i = make({1, 2, 3}, kInt64);
  EXPECT_TRUE(
      same_values(i.masked_fill(make({true, false, true}, kBool), 2.5), ref({2, 2, 2}, kInt64)));
  EXPECT_TRUE(
      same_values(i.masked_fill(make({false, true, false}, kBool), -7), ref({1, -7, 3}, kInt64)));
}

TEST_P(ElementwiseTest, MaskedFillWithLargerMaskBroadcastsTheResult) {
  // The out-of-place form expands self to the broadcast shape, as PyTorch's does:
  // torch.tensor([1, 2, 3]).masked_fill(torch.tensor([[True, False, True], [False] * 3]), 9)
  // -> tensor([[9, 2, 9], [1, 2, 3]])
  Tensor out = make({1, 2, 3}, kInt64)
                   .masked_fill(make({{true, false, true}, {false, false, false}}, kBool), 9);
  EXPECT_TRUE(same_values(out, ref({{9, 2, 9}, {1, 2, 3}}, kInt64)));
}

TEST_P(ElementwiseTest, MaskedFillWithNonBoolMaskIsAnError) {
  // PyTorch: "masked_fill_ only supports boolean masks, but got mask with dtype ..."
  Tensor x = make({1.0, 2.0, 3.0});
  EXPECT_AXON_ERROR(x.masked_fill(make({1, 0, 1}, kInt64), 0.0), "masked_fill");
  EXPECT_AXON_ERROR(x.masked_fill(make({1, 0, 1}, kUInt8), 0.0), "bool");
  EXPECT_AXON_ERROR(x.masked_fill(make({1.0, 0.0, 1.0}), 0.0), "bool");
}

TEST_P(ElementwiseTest, MaskedFillWithIncompatibleMaskIsAnError) {
  // torch.tensor([1., 2., 3.]).masked_fill(torch.tensor([True, False]), 0): "The size of tensor
  // a (3) must match the size of tensor b (2) at non-singleton dimension 0"
  Tensor x = make({1.0, 2.0, 3.0});
  EXPECT_AXON_ERROR(x.masked_fill(make({true, false}, kBool), 0.0),
                    "The size of tensor a (3) must match the size of tensor b (2)");
}

// ============================================================================================
// Comparisons and logic
// ============================================================================================

TEST_P(ElementwiseTest, ComparisonsWithTensorsReturnBool) {
  Tensor a = make({1.0, 2.0, 3.0, kNaN});
  Tensor b = make({2.0, 2.0, 2.0, kNaN});
  EXPECT_TRUE(same_values(eq(a, b), ref({false, true, false, false}, kBool)));
  EXPECT_TRUE(same_values(ne(a, b), ref({true, false, true, true}, kBool)));
  EXPECT_TRUE(same_values(lt(a, b), ref({true, false, false, false}, kBool)));
  EXPECT_TRUE(same_values(le(a, b), ref({true, true, false, false}, kBool)));
  EXPECT_TRUE(same_values(gt(a, b), ref({false, false, true, false}, kBool)));
  EXPECT_TRUE(same_values(ge(a, b), ref({false, true, true, false}, kBool)));
  EXPECT_TRUE(same_values(a == b, ref({false, true, false, false}, kBool)));
  EXPECT_TRUE(same_values(a != b, ref({true, false, true, true}, kBool)));
  EXPECT_TRUE(same_values(a < b, ref({true, false, false, false}, kBool)));
  EXPECT_TRUE(same_values(a <= b, ref({true, true, false, false}, kBool)));
  EXPECT_TRUE(same_values(a > b, ref({false, false, true, false}, kBool)));
  EXPECT_TRUE(same_values(a >= b, ref({false, true, true, false}, kBool)));
  // Mixed dtypes compare in the promoted type: int 2 == float 2.0.
  EXPECT_TRUE(same_values(make({1, 2, 3}, kInt64) == make({1.5, 2.0, 2.5}),
                          ref({false, true, false}, kBool)));
  // Broadcast: [2, 1] vs [3]
  EXPECT_TRUE(same_values(make({{1}, {3}}, kInt64) < make({0, 2, 4}, kInt64),
                          ref({{false, true, true}, {false, false, true}}, kBool)));
}

TEST_P(ElementwiseTest, ComparisonsWithScalarsReturnBool) {
  Tensor i = make({1, 2, 3}, kInt64);
  EXPECT_TRUE(same_values(eq(i, 2), ref({false, true, false}, kBool)));
  EXPECT_TRUE(same_values(i.ne(2), ref({true, false, true}, kBool)));
  EXPECT_TRUE(same_values(lt(i, 2), ref({true, false, false}, kBool)));
  EXPECT_TRUE(same_values(i.le(2), ref({true, true, false}, kBool)));
  EXPECT_TRUE(same_values(gt(i, 2), ref({false, false, true}, kBool)));
  EXPECT_TRUE(same_values(i.ge(2), ref({false, true, true}, kBool)));
  // The scalar is not truncated to the tensor's dtype: torch.tensor([2, 3]) == 2.5 -> all False
  EXPECT_TRUE(same_values(make({2, 3}, kInt64) == 2.5, ref({false, false}, kBool)));
  EXPECT_TRUE(same_values(make({2, 3}, kInt64) < 2.5, ref({true, false}, kBool)));
  EXPECT_TRUE(same_values(make({2, 3}, kInt64) >= 2.5, ref({false, true}, kBool)));
  EXPECT_TRUE(same_values(make({1.0, kNaN}) != 1.0, ref({false, true}, kBool)));
  EXPECT_TRUE(same_values(make({1.0, kNaN}) <= kInf, ref({true, false}, kBool)));
}

TEST_P(ElementwiseTest, LogicalOps) {
  Tensor p = make({true, false, true, false}, kBool);
  Tensor q = make({true, true, false, false}, kBool);
  EXPECT_TRUE(same_values(logical_and(p, q), ref({true, false, false, false}, kBool)));
  EXPECT_TRUE(same_values(logical_or(p, q), ref({true, true, true, false}, kBool)));
  EXPECT_TRUE(same_values(logical_xor(p, q), ref({false, true, true, false}, kBool)));
  EXPECT_TRUE(same_values(logical_not(p), ref({false, true, false, true}, kBool)));
  EXPECT_TRUE(same_values(p && q, ref({true, false, false, false}, kBool)));
  EXPECT_TRUE(same_values(p || q, ref({true, true, true, false}, kBool)));
  EXPECT_TRUE(same_values(!p, ref({false, true, false, true}, kBool)));
  EXPECT_TRUE(same_values(p.logical_xor(q), ref({false, true, true, false}, kBool)));
}

TEST_P(ElementwiseTest, LogicalOpsOnNumbersTestNonZero) {
  // torch.logical_and(torch.tensor([0, 1, 2]), torch.tensor([1., 0., 3.])) -> [F, F, T]
  EXPECT_TRUE(same_values(logical_and(make({0, 1, 2}, kInt64), make({1.0, 0.0, 3.0})),
                          ref({false, false, true}, kBool)));
  // torch.logical_not(torch.tensor([0, 2, -1])) -> tensor([ True, False, False])
  EXPECT_TRUE(same_values(logical_not(make({0, 2, -1}, kInt64)), ref({true, false, false}, kBool)));
  // NaN is non-zero, so true.
  EXPECT_TRUE(
      same_values(logical_or(make({kNaN, 0.0}), make({0.0, 0.0})), ref({true, false}, kBool)));
  EXPECT_TRUE(same_values(logical_xor(make({0.5, 0.0}, kFloat64), make({2, 0}, kUInt8)),
                          ref({false, false}, kBool)));
}

TEST_P(ElementwiseTest, IsNanIsInfIsFinite) {
  Tensor x = make({1.0, kInf, -kInf, kNaN});
  // torch.isinf(tensor([1., inf, -inf, nan])) -> [F, T, T, F]; isfinite -> [T, F, F, F]
  EXPECT_TRUE(same_values(isnan(x), ref({false, false, false, true}, kBool)));
  EXPECT_TRUE(same_values(isinf(x), ref({false, true, true, false}, kBool)));
  EXPECT_TRUE(same_values(isfinite(x), ref({true, false, false, false}, kBool)));
  EXPECT_TRUE(same_values(x.to(kFloat64).isinf(), ref({false, true, true, false}, kBool)));
  // Integer tensors hold no NaN or infinity.
  Tensor i = make({1, 2}, kInt64);
  EXPECT_TRUE(same_values(i.isnan(), ref({false, false}, kBool)));
  EXPECT_TRUE(same_values(i.isinf(), ref({false, false}, kBool)));
  EXPECT_TRUE(same_values(i.isfinite(), ref({true, true}, kBool)));
}

TEST_P(ElementwiseTest, EqualComparesShapeAndValues) {
  Tensor a = make({{1.0, 2.0}, {3.0, 4.0}});
  EXPECT_TRUE(equal(a, make({{1.0, 2.0}, {3.0, 4.0}})));
  EXPECT_TRUE(a.equal(a.clone()));
  EXPECT_FALSE(equal(a, make({{1.0, 2.0}, {3.0, 5.0}})));
  // Same elements, different shape: not equal (no broadcasting).
  EXPECT_FALSE(equal(a, make({1.0, 2.0, 3.0, 4.0})));
  EXPECT_FALSE(equal(make({1.0, 1.0}), make(1.0)));
  // NaN is never equal to itself.
  EXPECT_FALSE(equal(make({kNaN}), make({kNaN})));
  EXPECT_TRUE(equal(zeros({0}, options()), zeros({0}, options())));
}

TEST_P(ElementwiseTest, IscloseAndAllclose) {
  Tensor a = make({1.0, kNaN, kInf, 1.0, -kInf});
  Tensor b = make({1.0 + 1e-6, kNaN, kInf, 1.1, kInf});
  // torch.isclose(tensor([1., nan, inf, 1.]), tensor([1.+1e-6, nan, inf, 1.1]))
  // -> [True, False, True, False]; -inf vs inf is not close.
  EXPECT_TRUE(same_values(isclose(a, b), ref({true, false, true, false, false}, kBool)));
  EXPECT_TRUE(
      same_values(isclose(a, b, 1e-5, 1e-8, true), ref({true, true, true, false, false}, kBool)));
  // rtol scales with |other|: |1 - 1.1| = 0.1 <= 0 + 0.1 * 1.1
  EXPECT_TRUE(same_values(a.isclose(b, 0.1, 0.0), ref({true, false, true, true, false}, kBool)));
  EXPECT_FALSE(allclose(a, b));
  EXPECT_FALSE(allclose(make({1.0, kNaN}), make({1.0, kNaN})));
  EXPECT_TRUE(allclose(make({1.0, kNaN}), make({1.0, kNaN}), 1e-5, 1e-8, true));
  EXPECT_TRUE(make({1.0, 2.0}).allclose(make({1.0, 2.0 + 1e-6})));
  EXPECT_FALSE(make({1.0, 2.0}).allclose(make({1.0, 2.1})));
  EXPECT_TRUE(make({100.0}).allclose(make({100.5}), 0.0, 0.5));
  // Broadcasts: torch.allclose(torch.tensor([1., 1.]), torch.tensor(1.)) -> True
  EXPECT_TRUE(allclose(make({1.0, 1.0}), make(1.0)));
  // Integer tensors compare exactly.
  EXPECT_TRUE(
      same_values(isclose(make({1, 2}, kInt64), make({1, 3}, kInt64)), ref({true, false}, kBool)));
}

// ============================================================================================
// Broadcasting
// ============================================================================================

TEST_P(ElementwiseTest, BroadcastAlignsTrailingDims) {
  // [2, 3] + [3]: the [3] is added to every row.
  Tensor a = make({{0, 10, 20}, {30, 40, 50}}, kInt64);
  Tensor b = make({1, 2, 3}, kInt64);
  EXPECT_TRUE(same_values(a + b, ref({{1, 12, 23}, {31, 42, 53}}, kInt64)));
  EXPECT_TRUE(same_values(b + a, ref({{1, 12, 23}, {31, 42, 53}}, kInt64)));
  // [2, 1, 3] + [4, 1] -> [2, 4, 3]
  Tensor c = add(zeros({2, 1, 3}, options()), zeros({4, 1}, options()));
  EXPECT_EQ(c.sizes(), IntArrayRef({2, 4, 3}));
}

TEST_P(ElementwiseTest, BroadcastExpandsSizeOneDimsOnBothSides) {
  // [3, 1] - [1, 4]: out[i][j] = col[i] - row[j]
  Tensor col = make({{0}, {10}, {20}}, kInt64);
  Tensor row = make({{1, 2, 3, 4}}, kInt64);
  EXPECT_TRUE(
      same_values(col - row, ref({{-1, -2, -3, -4}, {9, 8, 7, 6}, {19, 18, 17, 16}}, kInt64)));
  EXPECT_TRUE(same_values(maximum(col, row),
                          ref({{1, 2, 3, 4}, {10, 10, 10, 10}, {20, 20, 20, 20}}, kInt64)));
}

TEST_P(ElementwiseTest, BroadcastWithZeroDimTensors) {
  Tensor s = make(2.0);
  EXPECT_EQ(s.dim(), 0);
  Tensor m = make({{1.0, 2.0}, {3.0, 4.0}});
  EXPECT_TRUE(same_values(m * s, ref({{2.0, 4.0}, {6.0, 8.0}})));
  EXPECT_TRUE(same_values(s - m, ref({{1.0, 0.0}, {-1.0, -2.0}})));
  // 0-dim with 0-dim stays 0-dim.
  Tensor r = make(3.0) + make(4.0);
  EXPECT_EQ(r.dim(), 0);
  EXPECT_EQ(r.item<double>(), 7.0);
  EXPECT_EQ((make(1.0) < make(2.0)).dim(), 0);
}

TEST_P(ElementwiseTest, BroadcastWithEmptyDims) {
  // torch.ones(0, 3) + torch.ones(1, 3) -> shape [0, 3]; torch.ones(2, 0) + torch.ones(2, 1)
  // -> shape [2, 0]
  Tensor a = zeros({0, 3}, options()) + ones({1, 3}, options());
  EXPECT_EQ(a.sizes(), IntArrayRef({0, 3}));
  Tensor b = ones({2, 0}, options()) * ones({2, 1}, options());
  EXPECT_EQ(b.sizes(), IntArrayRef({2, 0}));
  EXPECT_EQ((zeros({0}, options()) < 1).sizes(), IntArrayRef({0}));
  EXPECT_EQ(exp(zeros({3, 0}, options())).sizes(), IntArrayRef({3, 0}));
  // A 0 against a 2 cannot broadcast: "The size of tensor a (0) must match the size of tensor b
  // (2) at non-singleton dimension 1"
  EXPECT_AXON_ERROR(ones({2, 0}, options()) + ones({2, 2}, options()),
                    "The size of tensor a (0) must match the size of tensor b (2) at "
                    "non-singleton dimension 1");
}

TEST_P(ElementwiseTest, IncompatibleShapesGivePyTorchsMessage) {
  // torch.ones(2, 3) + torch.ones(4, 3): "The size of tensor a (2) must match the size of tensor
  // b (4) at non-singleton dimension 0"
  EXPECT_AXON_ERROR(ones({2, 3}, options()) + ones({4, 3}, options()),
                    "The size of tensor a (2) must match the size of tensor b (4) at "
                    "non-singleton dimension 0");
  // torch.ones(2, 3) + torch.ones(2): "... tensor a (3) ... tensor b (2) at non-singleton
  // dimension 1"
  EXPECT_AXON_ERROR(ones({2, 3}, options()) + ones({2}, options()),
                    "The size of tensor a (3) must match the size of tensor b (2) at "
                    "non-singleton dimension 1");
  // The dimension counts in the broadcast (longer) shape.
  EXPECT_AXON_ERROR(ones({2, 3, 4}, options()) * ones({5, 4}, options()),
                    "The size of tensor a (3) must match the size of tensor b (5) at "
                    "non-singleton dimension 1");
  EXPECT_AXON_ERROR(eq(ones({3}, options()), ones({4}, options())), "must match");
  EXPECT_AXON_ERROR(where(ones({3}, options(kBool)), ones({3}, options()), ones({2}, options())),
                    "must match");
}

TEST_P(ElementwiseTest, BroadcastShapesFunction) {
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}), DimVector({2, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {5}), DimVector({5}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 7}), DimVector({0, 7}));
  EXPECT_EQ(broadcast_shapes({}, {}), DimVector());
  EXPECT_AXON_ERROR(broadcast_shapes({3}, {4}), "must match");
}

// ============================================================================================
// Type promotion (torch.result_type)
// ============================================================================================

TEST_P(ElementwiseTest, ResultTypeFollowsTorch) {
  // Each line: torch.result_type(a, b) in PyTorch 1.13.
  Tensor u8 = make({1}, kUInt8), i64 = make({1}, kInt64), f32 = make({1.0}),
         f64 = make({1.0}, kFloat64), b = make({true}, kBool);
  EXPECT_EQ(result_type(u8, 1000), kUInt8);
  EXPECT_EQ(result_type(i64, 1.5), kFloat32);
  EXPECT_EQ(result_type(b, false), kBool);
  EXPECT_EQ(result_type(b, 3), kInt64);
  EXPECT_EQ(result_type(b, 2.5), kFloat32);
  EXPECT_EQ(result_type(i64, true), kInt64);
  EXPECT_EQ(result_type(f32, make(1.0, kFloat64)), kFloat32);
  EXPECT_EQ(result_type(u8, make(1, kInt64)), kUInt8);
  EXPECT_EQ(result_type(i64, make(1.0, kFloat64)), kFloat64);
  EXPECT_EQ(result_type(make(1, kInt64), make(1.0)), kFloat32);
  EXPECT_EQ(result_type(u8, i64), kInt64);
  EXPECT_EQ(result_type(u8, make(true, kBool)), kUInt8);
  EXPECT_EQ(result_type(b, make(1, kUInt8)), kUInt8);
  EXPECT_EQ(result_type(u8, make(1.0, kFloat64)), kFloat64);
  EXPECT_EQ(result_type(make(1, kUInt8), make(1.0, kFloat64)), kFloat64);
  EXPECT_EQ(result_type(f64, f32), kFloat64);
  EXPECT_EQ(result_type(b, f32), kFloat32);
  EXPECT_EQ(result_type(make(true, kBool), 1.5), kFloat32);
  EXPECT_EQ(result_type(make(1, kInt64), 1.5), kFloat32);
  EXPECT_EQ(result_type(make(1.0, kFloat64), 1), kFloat64);
}

TEST_P(ElementwiseTest, PromotionInArithmetic) {
  // torch.tensor([1]) + 2.5 -> tensor([3.5000]) (float32)
  EXPECT_TRUE(same_values(make({1}, kInt64) + 2.5, ref({3.5})));
  // uint8 with an int scalar stays uint8 and wraps: torch.tensor([250], dtype=torch.uint8) + 10
  // -> tensor([4], dtype=torch.uint8)
  EXPECT_TRUE(same_values(make({250}, kUInt8) + 10, ref({4}, kUInt8)));
  // ... and with an int64 0-dim tensor too.
  EXPECT_TRUE(same_values(make({250}, kUInt8) + make(10, kInt64), ref({4}, kUInt8)));
  // uint8 with an int64 tensor of dim >= 1 widens: 250 + 10 = 260.
  EXPECT_TRUE(same_values(make({250}, kUInt8) + make({10}, kInt64), ref({260}, kInt64)));
  // float32 with a float64 0-dim tensor stays float32.
  EXPECT_TRUE(same_values(make({1.0}) + make(2.0, kFloat64), ref({3.0})));
  // int64 with a float64 0-dim tensor: the 0-dim float is of a higher category -> float64.
  EXPECT_TRUE(same_values(make({1}, kInt64) + make(0.5, kFloat64), ref({1.5}, kFloat64)));
  EXPECT_TRUE(same_values(make(1, kInt64) + make(0.5), ref(1.5)));
  EXPECT_TRUE(same_values(make({1.0}, kFloat64) * make({2.0}), ref({2.0}, kFloat64)));
}

TEST_P(ElementwiseTest, PromotionOfBool) {
  // torch.tensor([True, False]) + torch.tensor([True, False]) -> tensor([ True, False])
  EXPECT_TRUE(same_values(make({true, false}, kBool) + make({true, false}, kBool),
                          ref({true, false}, kBool)));
  // torch.tensor([True]) + 2 -> tensor([3]); + 2.5 -> tensor([3.5000])
  EXPECT_TRUE(same_values(make({true}, kBool) + 2, ref({3}, kInt64)));
  EXPECT_TRUE(same_values(make({true}, kBool) + 2.5, ref({3.5})));
  // torch.tensor([True]) * True -> tensor([True])
  EXPECT_TRUE(same_values(make({true}, kBool) * true, ref({true}, kBool)));
  EXPECT_TRUE(same_values(make({true, false}, kBool) + make({1, 1}, kUInt8), ref({2, 1}, kUInt8)));
}

TEST_P(ElementwiseTest, SubtractingBoolTensorsIsAnError) {
  // torch.tensor([True]) - torch.tensor([False]): "Subtraction, the `-` operator, with two bool
  // tensors is not supported. Use the `^` or `logical_xor()` operator instead."
  Tensor b = make({true}, kBool);
  EXPECT_AXON_ERROR(b - make({false}, kBool),
                    "Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                    "the `^` or `logical_xor()` operator instead.");
  EXPECT_AXON_ERROR(sub(b, b), "with two bool tensors is not supported");
}

TEST_P(ElementwiseTest, SubtractingWithOneBoolOperandIsAnError) {
  // PyTorch rejects a bool operand on either side, whatever the other is:
  // torch.tensor([True]) - 1, torch.tensor([True]) - torch.tensor([1]),
  // torch.tensor([1]) - torch.tensor([True]), 1 - torch.tensor([True]) all raise
  // "Subtraction, the `-` operator, with a bool tensor is not supported."
  Tensor b = make({true}, kBool);
  Tensor i = make({1}, kInt64);
  const char* message = "Subtraction, the `-` operator, with a bool tensor is not supported";
  EXPECT_AXON_ERROR(b - 1, message);
  EXPECT_AXON_ERROR(b - i, message);
  EXPECT_AXON_ERROR(i - b, message);
  EXPECT_AXON_ERROR(1 - b, message);
}

TEST_P(ElementwiseTest, DefaultDtypeDecidesFloatResultsOfIntegerOperands) {
  // With torch.set_default_dtype(torch.float64): torch.tensor([1]) + 2.5, int / int and
  // clamp(int, 0.5, 2.) are float64.
  struct DefaultDtypeGuard {  // restores float32 even when an op throws
    DefaultDtypeGuard() { set_default_dtype(kFloat64); }
    ~DefaultDtypeGuard() { set_default_dtype(kFloat32); }
  };
  Tensor a, q, e;
  {
    DefaultDtypeGuard guard;
    a = make({1}, kInt64) + 2.5;
    q = make({1}, kInt64) / make({2}, kInt64);
    e = exp(make({0}, kInt64));
  }
  EXPECT_TRUE(same_values(a, ref({3.5}, kFloat64)));
  EXPECT_TRUE(same_values(q, ref({0.5}, kFloat64)));
  EXPECT_TRUE(same_values(e, ref({1.0}, kFloat64)));
}

// ============================================================================================
// In-place forms
// ============================================================================================

TEST_P(ElementwiseTest, InPlaceArithmeticWritesSelfAndBumpsVersion) {
  Tensor x = make({1.0, 2.0, 4.0});
  uint32_t v = x._version();
  const Tensor& r = x.add_(make({1.0, 1.0, 1.0}), 2);  // [3, 4, 6]
  EXPECT_EQ(&r, &x);
  EXPECT_GT(x._version(), v);
  v = x._version();
  x.sub_(0.5);  // [2.5, 3.5, 5.5]
  EXPECT_GT(x._version(), v);
  v = x._version();
  x.mul_(make({2.0, 2.0, 2.0}));  // [5, 7, 11]
  EXPECT_GT(x._version(), v);
  v = x._version();
  x.div_(4);  // [1.25, 1.75, 2.75]
  EXPECT_GT(x._version(), v);
  EXPECT_TRUE(same_values(x, ref({1.25, 1.75, 2.75})));
  v = x._version();
  x.pow_(2);  // [1.5625, 3.0625, 7.5625]
  EXPECT_GT(x._version(), v);
  EXPECT_TRUE(same_values(x, ref({1.5625, 3.0625, 7.5625})));
  x.pow_(make({0.5, 0.5, 0.5}));
  EXPECT_TRUE(same_values(x, ref({1.25, 1.75, 2.75})));
  x.sub_(make({0.25, 0.25, 0.25}), 3);
  EXPECT_TRUE(same_values(x, ref({0.5, 1.0, 2.0})));
  x.add_(1, 2);
  x.mul_(0.5);
  x.div_(make({1.25, 1.5, 2.0}));
  EXPECT_TRUE(same_values(x, ref({1.0, 1.0, 1.0})));
}

TEST_P(ElementwiseTest, CompoundAssignmentOperators) {
  Tensor x = make({1, 2, 3}, kInt64);
  uint32_t v = x._version();
  x += 1;
  x *= make({2, 3, 4}, kInt64);
  x -= make({1, 1, 1}, kInt64);
  EXPECT_TRUE(same_values(x, ref({3, 8, 15}, kInt64)));
  EXPECT_GE(x._version(), v + 3);
  Tensor f = make({1.0, 3.0});
  f /= 2;
  f += make({0.5, 0.5});
  f -= 1;
  f *= 4;
  EXPECT_TRUE(same_values(f, ref({0.0, 4.0})));
  f /= make({2.0, 8.0});
  EXPECT_TRUE(same_values(f, ref({0.0, 0.5})));
}

TEST_P(ElementwiseTest, InPlaceBroadcastsOtherIntoSelf) {
  Tensor x = zeros({2, 3}, options());
  x.add_(make({1.0, 2.0, 3.0}));
  x.mul_(make({{1.0}, {2.0}}));
  EXPECT_TRUE(same_values(x, ref({{1.0, 2.0, 3.0}, {2.0, 4.0, 6.0}})));
  x.sub_(make(1.0));
  EXPECT_TRUE(same_values(x, ref({{0.0, 1.0, 2.0}, {1.0, 3.0, 5.0}})));
}

TEST_P(ElementwiseTest, InPlaceUnaryOpsMatchOutOfPlace) {
  Tensor base = make({-2.5, -0.5, 0.25, 1.0, 3.0});
  Tensor positive = make({0.25, 1.0, 2.0, 9.0});
  struct Case {
    const char* name;
    Tensor input;
    std::function<Tensor(const Tensor&)> op;
    std::function<void(Tensor&)> op_;
  };
  std::vector<Case> cases = {
      {"neg", base, [](const Tensor& t) { return t.neg(); }, [](Tensor& t) { t.neg_(); }},
      {"exp", base, [](const Tensor& t) { return t.exp(); }, [](Tensor& t) { t.exp_(); }},
      {"log", positive, [](const Tensor& t) { return t.log(); }, [](Tensor& t) { t.log_(); }},
      {"sqrt", positive, [](const Tensor& t) { return t.sqrt(); }, [](Tensor& t) { t.sqrt_(); }},
      {"rsqrt", positive, [](const Tensor& t) { return t.rsqrt(); }, [](Tensor& t) { t.rsqrt_(); }},
      {"abs", base, [](const Tensor& t) { return t.abs(); }, [](Tensor& t) { t.abs_(); }},
      {"sign", base, [](const Tensor& t) { return t.sign(); }, [](Tensor& t) { t.sign_(); }},
      {"sin", base, [](const Tensor& t) { return t.sin(); }, [](Tensor& t) { t.sin_(); }},
      {"cos", base, [](const Tensor& t) { return t.cos(); }, [](Tensor& t) { t.cos_(); }},
      {"tanh", base, [](const Tensor& t) { return t.tanh(); }, [](Tensor& t) { t.tanh_(); }},
      {"sigmoid", base, [](const Tensor& t) { return t.sigmoid(); },
       [](Tensor& t) { t.sigmoid_(); }},
      {"relu", base, [](const Tensor& t) { return t.relu(); }, [](Tensor& t) { t.relu_(); }},
      {"clamp", base, [](const Tensor& t) { return t.clamp(-1.0, 2.0); },
       [](Tensor& t) { t.clamp_(-1.0, 2.0); }},
      {"clamp_min", base, [](const Tensor& t) { return t.clamp_min(0.0); },
       [](Tensor& t) { t.clamp_min_(0.0); }},
      {"clamp_max", base, [](const Tensor& t) { return t.clamp_max(0.0); },
       [](Tensor& t) { t.clamp_max_(0.0); }},
      {"masked_fill", base, [](const Tensor& t) { return t.masked_fill(t > 0, 7.0); },
       [](Tensor& t) { t.masked_fill_(t > 0, 7.0); }},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor expected = c.op(c.input);
    Tensor x = c.input.clone();
    uint32_t v = x._version();
    c.op_(x);
    EXPECT_GT(x._version(), v);
    EXPECT_TRUE(same_values(x, expected));
  }
}

TEST_P(ElementwiseTest, InPlaceClampKeepsNaNAndIntegerDtype) {
  Tensor x = make({1.0, kNaN, 10.0});
  x.clamp_(2.0, 5.0);
  EXPECT_TRUE(same_values(x, ref({2.0, kNaN, 5.0})));
  Tensor i = make({1, 5, 9}, kInt64);
  i.clamp_(2, 7);
  EXPECT_TRUE(same_values(i, ref({2, 5, 7}, kInt64)));
  i.clamp_min_(3);
  i.clamp_max_(6);
  EXPECT_TRUE(same_values(i, ref({3, 5, 6}, kInt64)));
}

TEST_P(ElementwiseTest, InPlaceClampOfIntegerTensorWithFloatBoundsIsAnError) {
  // i = torch.tensor([1, 5]); i.clamp_(2.5, 3.5) (and clamp_min_(2.5)): "result type Float
  // can't be cast to the desired output type long int". The out-of-place clamp promotes
  // instead, so the in-place form must not silently truncate the bounds to [2, 3].
  const char* message = "can't be cast to the desired output type";
  Tensor i = make({1, 5}, kInt64);
  EXPECT_AXON_ERROR(i.clamp_(2.5, 3.5), message);
  EXPECT_AXON_ERROR(i.clamp_min_(2.5), message);
  EXPECT_AXON_ERROR(i.clamp_max_(2.5), message);
  EXPECT_TRUE(same_values(i, ref({1, 5}, kInt64)));
}

TEST_P(ElementwiseTest, InPlaceFloatingOpOnIntegerTensorIsAnError) {
  // torch.tensor([1, 2]).exp_(): "result type Float can't be cast to the desired output type
  // Long"
  Tensor i = make({1, 4}, kInt64);
  EXPECT_AXON_ERROR(i.exp_(), "exp_");
  EXPECT_AXON_ERROR(i.sqrt_(), "sqrt_");
  EXPECT_AXON_ERROR(i.sigmoid_(), "sigmoid_");
  EXPECT_TRUE(same_values(i, ref({1, 4}, kInt64)));
}

TEST_P(ElementwiseTest, InPlaceMaskedFillBroadcastsMask) {
  Tensor x = zeros({2, 3}, options(kInt64));
  uint32_t v = x._version();
  x.masked_fill_(make({false, true, false}, kBool), 5);
  EXPECT_GT(x._version(), v);
  EXPECT_TRUE(same_values(x, ref({{0, 5, 0}, {0, 5, 0}}, kInt64)));
  EXPECT_AXON_ERROR(x.masked_fill_(make({1, 0, 1}, kInt64), 1), "masked_fill");
}

TEST_P(ElementwiseTest, InPlaceFloatIntoIntegerIsAnError) {
  // y = torch.tensor([1, 2]); y += 1.5: "result type Float can't be cast to the desired output
  // type Long"; the same for a float tensor and for /= (true division). axon names the dtypes
  // as it prints them (float32, int64).
  const char* message = "result type float32 can't be cast to the desired output type int64";
  Tensor y = make({1, 2}, kInt64);
  EXPECT_AXON_ERROR(y += 1.5, message);
  EXPECT_AXON_ERROR(y += make({1.5, 2.0}), message);
  EXPECT_AXON_ERROR(y.add_(make({1.5, 2.0})), "add_");
  EXPECT_AXON_ERROR(y /= 2, message);
  EXPECT_AXON_ERROR(y.mul_(0.5), "mul_");
  // The failed ops left y alone.
  EXPECT_TRUE(same_values(y, ref({1, 2}, kInt64)));
}

TEST_P(ElementwiseTest, InPlaceNumberIntoBoolIsAnError) {
  // y = torch.tensor([True, False]); y += 1: "result type Long can't be cast to the desired
  // output type Bool"
  Tensor y = make({true, false}, kBool);
  EXPECT_AXON_ERROR(y += 1, "can't be cast to the desired output type");
}

TEST_P(ElementwiseTest, InPlaceIntoNarrowerIntegerWraps) {
  // y = torch.tensor([200], dtype=torch.uint8); y += torch.tensor([100]) -> tensor([44])
  Tensor y = make({200}, kUInt8);
  y += make({100}, kInt64);
  EXPECT_TRUE(same_values(y, ref({44}, kUInt8)));
  // float64 into float32 is allowed.
  Tensor f = make({1.0});
  f += make({0.5}, kFloat64);
  EXPECT_TRUE(same_values(f, ref({1.5})));
}

TEST_P(ElementwiseTest, InPlaceCannotGrowSelf) {
  // y = torch.tensor([1., 2.]); y.add_(torch.ones(2, 2)): "output with shape [2] doesn't match
  // the broadcast shape [2, 2]"
  Tensor y = make({1.0, 2.0});
  EXPECT_AXON_ERROR(y.add_(ones({2, 2}, options())),
                    "output with shape [2] doesn't match the broadcast shape [2, 2]");
  EXPECT_AXON_ERROR(y.mul_(ones({3, 1}, options())), "doesn't match the broadcast shape");
  EXPECT_AXON_ERROR(y += ones({3}, options()), "must match");
  EXPECT_TRUE(same_values(y, ref({1.0, 2.0})));
}

TEST_P(ElementwiseTest, InPlaceOnExpandedTensorIsAnError) {
  // torch.tensor([1., 2.]).expand(2, 2).add_(1): "unsupported operation: more than one element
  // of the written-to tensor refers to a single memory location. Please clone() the tensor
  // before performing the operation."
  const char* message =
      "unsupported operation: more than one element of the written-to tensor refers to a single "
      "memory location";
  Tensor base = make({1.0, 2.0});
  Tensor expanded = base.expand({2, 2});
  EXPECT_AXON_ERROR(expanded.add_(1), message);
  EXPECT_AXON_ERROR(expanded.mul_(make({{1.0}, {2.0}})), message);
  EXPECT_AXON_ERROR(expanded.exp_(), message);
  EXPECT_AXON_ERROR(expanded.clamp_(0.0, 1.0), message);
  EXPECT_AXON_ERROR(expanded.masked_fill_(make({true, false}, kBool), 0.0), message);
  EXPECT_AXON_ERROR(expanded += 1, message);
  EXPECT_TRUE(same_values(base, ref({1.0, 2.0})));
}

TEST_P(ElementwiseTest, InPlaceWithPartiallyOverlappingOperandReadsOldValues) {
  // axon computes x[1:] += x[:-1] as if the right side had been cloned (PyTorch refuses the
  // partial overlap). With x = [0, 1, 2, 3, 4, 5]: x[i] = old[i] + old[i - 1] for i >= 1.
  Tensor x = arange(6, options());
  Tensor expected = x.clone();
  expected.slice(0, 1).add_(x.clone().slice(0, 0, 5));
  x.slice(0, 1).add_(x.slice(0, 0, 5));
  EXPECT_TRUE(same_values(x, ref({0.0, 1.0, 3.0, 5.0, 7.0, 9.0})));
  EXPECT_TRUE(same_values(x, expected));
  // The other direction: x[:-1] += x[1:] gives old[i] + old[i + 1].
  Tensor y = arange(6, options());
  y.slice(0, 0, 5).add_(y.slice(0, 1));
  EXPECT_TRUE(same_values(y, ref({1.0, 3.0, 5.0, 7.0, 9.0, 5.0})));
  // Reading the transpose of self: m += m.t() on [[1, 2], [3, 4]] -> [[2, 5], [5, 8]].
  Tensor m = make({{1.0, 2.0}, {3.0, 4.0}});
  m.add_(m.t());
  EXPECT_TRUE(same_values(m, ref({{2.0, 5.0}, {5.0, 8.0}})));
  // Exactly the same view is fine: x *= x squares.
  Tensor s = make({1.0, 2.0, 3.0});
  s.mul_(s);
  EXPECT_TRUE(same_values(s, ref({1.0, 4.0, 9.0})));
}

TEST_P(ElementwiseTest, InPlaceOnViewWritesThroughToBase) {
  Tensor base = zeros({2, 3}, options());
  base.select(1, 1).add_(5);                      // column 1
  base.slice(1, 0, 3, 2).sub_(make({1.0, 2.0}));  // columns 0 and 2
  EXPECT_TRUE(same_values(base, ref({{-1.0, 5.0, -2.0}, {-1.0, 5.0, -2.0}})));
}

// ============================================================================================
// Non-contiguous inputs
// ============================================================================================

TEST_P(ElementwiseTest, TransposedInputsGiveContiguousResults) {
  Tensor a = arange(12, options()).reshape({3, 4});
  Tensor b = (arange(12, options()) * 0.5 - 2).reshape({4, 3});
  Tensor at = a.t();  // [4, 3], non-contiguous
  ASSERT_FALSE(at.is_contiguous());
  Tensor ac = at.contiguous();
  EXPECT_TRUE(same_values(at + b, ac + b));
  EXPECT_TRUE(same_values(b * at, b * ac));
  EXPECT_TRUE(same_values(pow(at, 2), pow(ac, 2)));
  EXPECT_TRUE(same_values(at.exp(), ac.exp()));
  EXPECT_TRUE(same_values(at.sigmoid(), ac.sigmoid()));
  EXPECT_TRUE(same_values(where(at > 5, at, b), where(ac > 5, ac, b)));
  EXPECT_TRUE(same_values(maximum(at, b.t().t()), maximum(ac, b)));
  EXPECT_TRUE(same_values(at.clamp(2.0, 7.0), ac.clamp(2.0, 7.0)));
  EXPECT_TRUE(same_values(at == b, ac == b));
  // Both operands transposed.
  EXPECT_TRUE(same_values(at - b.t().contiguous().t(), ac - b));
}

TEST_P(ElementwiseTest, SteppedSlicesGiveContiguousResults) {
  Tensor a = arange(24, options()).reshape({4, 6});
  Tensor s = a.slice(1, 1, 6, 2).slice(0, 0, 4, 3);  // a[0::3, 1::2] -> [2, 3]
  ASSERT_FALSE(s.is_contiguous());
  Tensor sc = s.contiguous();
  // a[0::3, 1::2] = [[1, 3, 5], [19, 21, 23]]
  EXPECT_TRUE(same_values(sc, ref({{1.0, 3.0, 5.0}, {19.0, 21.0, 23.0}})));
  EXPECT_TRUE(same_values(s * 2 + 1, ref({{3.0, 7.0, 11.0}, {39.0, 43.0, 47.0}})));
  EXPECT_TRUE(same_values(s / s.t().t(), ones({2, 3}, options())));
  EXPECT_TRUE(same_values(s.sqrt(), sc.sqrt()));
  EXPECT_TRUE(same_values(s.neg(), sc.neg()));
  EXPECT_TRUE(same_values(s.masked_fill(s > 4, 0.0), sc.masked_fill(sc > 4, 0.0)));
  // In place through a stepped view touches only its elements.
  Tensor b = zeros({6}, options());
  b.slice(0, 0, 6, 2).add_(make({1.0, 2.0, 3.0}));
  EXPECT_TRUE(same_values(b, ref({1.0, 0.0, 2.0, 0.0, 3.0, 0.0})));
  // Broadcasting a stepped row against a column.
  Tensor row = arange(8, options()).slice(0, 0, 8, 3);  // [0, 3, 6]
  EXPECT_TRUE(same_values(row + make({{0.0}, {10.0}}), ref({{0.0, 3.0, 6.0}, {10.0, 13.0, 16.0}})));
}

AXON_INSTANTIATE_DEVICE_TEST(ElementwiseTest);

}  // namespace
}  // namespace axon
