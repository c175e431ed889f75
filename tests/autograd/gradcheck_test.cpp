// Gradient checks (axon::autograd::gradcheck, float64 central differences against the analytic
// backward) for every differentiable op of axon/functions.h, and gradcheck's own behaviour.
//
// Inputs are small and chosen away from kinks (|x| not near 0 for abs/relu/sign, no ties for
// max/min/maximum, away from clamp bounds, positive where log/sqrt/pow need it), so that the
// finite differences are valid.
#include <functional>
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using autograd::AutogradContext;
using autograd::Function;
using autograd::variable_list;
using Fn = std::function<Tensor(const variable_list&)>;
using MultiFn = std::function<variable_list(const variable_list&)>;

// gradcheck with raise_exception, so that a failure says which element disagreed.
template <typename Function>
::testing::AssertionResult run_gradcheck(const Function& fn, const variable_list& inputs,
                                         GradcheckOptions options) {
  options.raise_exception = true;
  try {
    if (gradcheck(fn, inputs, options)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "gradcheck returned false";
  } catch (const Error& e) {
    return ::testing::AssertionFailure() << e.what();
  }
}
::testing::AssertionResult grad_ok(const Fn& fn, const variable_list& inputs,
                                   const GradcheckOptions& options = {}) {
  return run_gradcheck(fn, inputs, options);
}
::testing::AssertionResult grad_ok_multi(const MultiFn& fn, const variable_list& inputs,
                                         const GradcheckOptions& options = {}) {
  return run_gradcheck(fn, inputs, options);
}

class GradcheckTest : public testing::DeviceTest {
 protected:
  // A float64 input that requires grad.
  Tensor in(const TensorData& data) const {
    return tensor(data, options(kFloat64)).requires_grad_();
  }
  // A float64 constant (no gradient checked).
  Tensor constant(const TensorData& data) const { return tensor(data, options(kFloat64)); }
  Tensor mask(const TensorData& data) const { return tensor(data, options(kBool)); }
  // Values in [-2, 2) drawn with a fixed seed, for ops that have no special points.
  Tensor random_in(IntArrayRef shape, uint64_t seed = 0) const {
    manual_seed(seed);
    Tensor t = rand(shape, options(kFloat64)) * 4 - 2;
    return t.detach().requires_grad_();
  }

  // A [2, 3] input with distinct values, none near 0.
  Tensor x23() const { return in({{0.7, -1.3, 2.1}, {-0.4, 1.9, -2.6}}); }
};

// ---- arithmetic -----------------------------------------------------------------------------

TEST_P(GradcheckTest, AddTensorAndScalarFormsWithAlphaAndBroadcasting) {
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});  // broadcast over rows
  Tensor c = in({{1.5}, {-0.5}});   // broadcast over columns
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] + v[1]; }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return add(v[0], v[1], 2.5); }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return add(v[0], v[1], -0.5); }, {b, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].add(1.5, 2); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return 3 + v[0]; }, {a}));
}

TEST_P(GradcheckTest, SubAndRsubWithAlphaAndBroadcasting) {
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});
  Tensor c = in({{1.5}, {-0.5}});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] - v[1]; }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return sub(v[0], v[1], 3); }, {c, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].sub(v[1], -2.5); }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].sub(0.5, 2); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return rsub(v[0], 2.0, 1.5); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return 1 - v[0]; }, {a}));
}

TEST_P(GradcheckTest, MulTensorAndScalarFormsWithBroadcasting) {
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});
  Tensor s = tensor(1.25, options(kFloat64)).requires_grad_();  // 0-dim
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] * v[1]; }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] * v[1]; }, {a, s}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] * v[0]; }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].mul(-2.5); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return 0.5 * v[0]; }, {a}));
}

TEST_P(GradcheckTest, DivTensorAndScalarFormsWithBroadcasting) {
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});  // denominators away from 0
  Tensor c = in({{1.5}, {-0.75}});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] / v[1]; }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] / v[1]; }, {b, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].div(-4.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return 2.0 / v[0]; }, {a}));
}

TEST_P(GradcheckTest, PowTensorScalarForms) {
  Tensor a = x23();
  Tensor p = in({0.5, 1.25, 2.0, 3.5});  // positive for fractional and negative exponents
  for (double e : {2.0, 3.0, 1.0}) {
    EXPECT_TRUE(grad_ok([e](const variable_list& v) { return v[0].pow(e); }, {a})) << e;
  }
  for (double e : {0.5, -1.5, 2.5, -2.0}) {
    EXPECT_TRUE(grad_ok([e](const variable_list& v) { return v[0].pow(e); }, {p})) << e;
  }
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].pow(0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].pow(2); }, {a}));  // int scalar
}

TEST_P(GradcheckTest, PowTensorTensorForm) {
  Tensor base = in({{0.5, 1.5, 2.0}, {0.8, 1.1, 3.0}});  // x > 0 for d/de x^e = x^e log x
  Tensor exponent = in({{1.5, -0.5, 2.0}, {0.25, 3.0, -1.0}});
  Tensor row_exponent = in({2.0, -1.5, 0.5});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].pow(v[1]); }, {base, exponent}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].pow(v[1]); }, {base, row_exponent}));
  // Negative bases with a constant integer exponent: only the base is differentiated.
  Tensor negative = in({-1.5, -0.5, 2.0});
  Tensor integer_exponent = constant({2.0, 3.0, 2.0});
  EXPECT_TRUE(
      grad_ok([](const variable_list& v) { return v[0].pow(v[1]); }, {negative, integer_exponent}));
}

TEST_P(GradcheckTest, PowScalarTensorForm) {
  Tensor e = x23();
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return pow(2.0, v[0]); }, {e}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return pow(0.5, v[0]); }, {e}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return pow(3, v[0]); }, {e}));
}

TEST_P(GradcheckTest, MaximumAndMinimumWithoutTies) {
  Tensor a = x23();
  Tensor b = in({{0.2, -1.0, 2.5}, {-0.9, 2.2, -2.0}});  // every pair differs by >= 0.3
  Tensor row = in({0.1, 0.4, -0.2});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return maximum(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return minimum(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].maximum(v[1]); }, {a, row}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].minimum(v[1]); }, {row, a}));
}

// ---- unary ----------------------------------------------------------------------------------

TEST_P(GradcheckTest, UnaryOpsDefinedEverywhere) {
  Tensor a = x23();
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"neg", [](const variable_list& v) { return v[0].neg(); }},
      {"operator-", [](const variable_list& v) { return -v[0]; }},
      {"exp", [](const variable_list& v) { return v[0].exp(); }},
      {"sin", [](const variable_list& v) { return v[0].sin(); }},
      {"cos", [](const variable_list& v) { return v[0].cos(); }},
      {"tanh", [](const variable_list& v) { return v[0].tanh(); }},
      {"sigmoid", [](const variable_list& v) { return v[0].sigmoid(); }},
      {"square", [](const variable_list& v) { return v[0].square(); }},
      {"abs", [](const variable_list& v) { return v[0].abs(); }},    // |x| >= 0.4
      {"relu", [](const variable_list& v) { return v[0].relu(); }},  // |x| >= 0.4
      {"sign", [](const variable_list& v) { return v[0].sign(); }},  // gradient 0
      {"free exp", [](const variable_list& v) { return exp(v[0]); }},
      {"free tanh", [](const variable_list& v) { return tanh(v[0]); }},
      {"free relu", [](const variable_list& v) { return relu(v[0]); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a})) << name;
}

TEST_P(GradcheckTest, UnaryOpsOnPositiveInputs) {
  Tensor p = in({{0.5, 1.3, 2.1}, {0.9, 3.7, 0.6}});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"log", [](const variable_list& v) { return v[0].log(); }},
      {"sqrt", [](const variable_list& v) { return v[0].sqrt(); }},
      {"rsqrt", [](const variable_list& v) { return v[0].rsqrt(); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {p})) << name;
}

TEST_P(GradcheckTest, ClampAwayFromTheBounds) {
  // Elements below, inside and above [-1, 1], none within 0.3 of a bound.
  Tensor a = x23();
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clamp(-1.0, 1.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return clamp(v[0], -2, 2); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clamp(0.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clamp(std::nullopt, 1.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clamp_min(0.3); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return clamp_min(v[0], -1.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clamp_max(-1.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return clamp_max(v[0], 1.5); }, {a}));
}

TEST_P(GradcheckTest, WhereAllForms) {
  Tensor a = x23();
  Tensor b = in({{0.2, -1.0, 2.5}, {-0.9, 2.2, -2.0}});
  Tensor row = in({0.1, 0.4, -0.2});
  Tensor cond = mask({{true, false, true}, {false, false, true}});
  Tensor cond_col = mask({{true}, {false}});  // broadcast over columns
  EXPECT_TRUE(grad_ok([cond](const variable_list& v) { return where(cond, v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(
      grad_ok([cond](const variable_list& v) { return where(cond, v[0], v[1]); }, {a, row}));
  EXPECT_TRUE(grad_ok([cond_col](const variable_list& v) { return where(cond_col, v[0], v[1]); },
                      {row, a}));
  EXPECT_TRUE(grad_ok([cond](const variable_list& v) { return where(cond, 2.5, v[0]); }, {a}));
  EXPECT_TRUE(grad_ok([cond](const variable_list& v) { return where(cond, v[0], -1.0); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return where(v[0] > 0, v[0], v[0] * 3); }, {a}));
}

TEST_P(GradcheckTest, MaskedFill) {
  Tensor a = x23();
  Tensor m = mask({{true, false, true}, {false, false, true}});
  Tensor row_mask = mask({false, true, false});  // broadcast over rows
  EXPECT_TRUE(grad_ok([m](const variable_list& v) { return v[0].masked_fill(m, 3.5); }, {a}));
  EXPECT_TRUE(
      grad_ok([row_mask](const variable_list& v) { return masked_fill(v[0], row_mask, -1); }, {a}));
}

// ---- reductions -----------------------------------------------------------------------------

TEST_P(GradcheckTest, SumAndMeanOverAllAndOverDims) {
  Tensor a = random_in({2, 3, 2});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"sum()", [](const variable_list& v) { return v[0].sum(); }},
      {"sum(1)", [](const variable_list& v) { return v[0].sum({1}); }},
      {"sum(0, 2) keepdim",
       [](const variable_list& v) {
         return v[0].sum({0, 2}, true);
       }},
      {"sum(-1)", [](const variable_list& v) { return v[0].sum({-1}); }},
      {"sum({}) keepdim", [](const variable_list& v) { return v[0].sum(IntArrayRef{}, true); }},
      {"mean()", [](const variable_list& v) { return v[0].mean(); }},
      {"mean(0)", [](const variable_list& v) { return v[0].mean({0}); }},
      {"mean(1, 2) keepdim",
       [](const variable_list& v) {
         return v[0].mean({1, 2}, true);
       }},
      {"mean(-2)", [](const variable_list& v) { return mean(v[0], {-2}); }},
      {"sum of transposed", [](const variable_list& v) { return v[0].transpose(0, 2).sum({1}); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a})) << name;
}

TEST_P(GradcheckTest, ProdWithoutZeros) {
  Tensor a = x23();
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(1); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(0, true); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return prod(v[0], -1); }, {a}));
}

TEST_P(GradcheckTest, ProdWithOneZero) {
  // The product is multilinear, so central differences are exact even at the zero.
  Tensor a = in({{0.7, 0.0, 2.1}, {-0.4, 1.9, -2.6}});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(1); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(0); }, {a}));
}

TEST_P(GradcheckTest, ProdWithTwoZeros) {
  Tensor same_row = in({{0.0, 1.3, 0.0}, {-0.4, 1.9, -2.6}});
  Tensor different_rows = in({{0.7, 0.0, 2.1}, {0.0, 1.9, -2.6}});
  for (const Tensor& a : {same_row, different_rows}) {
    EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(); }, {a}));
    EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(1); }, {a}));
    EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].prod(0, true); }, {a}));
  }
}

TEST_P(GradcheckTest, MaxMinAmaxAminWithoutTies) {
  Tensor a = in({{0.7, -1.3, 2.1}, {-0.4, 1.9, -2.6}});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"max()", [](const variable_list& v) { return v[0].max(); }},
      {"min()", [](const variable_list& v) { return v[0].min(); }},
      {"amax()", [](const variable_list& v) { return v[0].amax(); }},
      {"amin()", [](const variable_list& v) { return v[0].amin(); }},
      {"amax(1)", [](const variable_list& v) { return v[0].amax({1}); }},
      {"amin(0) keepdim", [](const variable_list& v) { return v[0].amin({0}, true); }},
      {"amax(0, 1)",
       [](const variable_list& v) {
         return amax(v[0], {0, 1});
       }},
      {"amin(-1)", [](const variable_list& v) { return amin(v[0], {-1}); }},
      {"max(1)", [](const variable_list& v) { return std::get<0>(v[0].max(1)); }},
      {"max(0) keepdim", [](const variable_list& v) { return std::get<0>(v[0].max(0, true)); }},
      {"min(1) keepdim", [](const variable_list& v) { return std::get<0>(v[0].min(1, true)); }},
      {"min(0)", [](const variable_list& v) { return std::get<0>(min(v[0], 0)); }},
      {"max(-1) of a transpose",
       [](const variable_list& v) { return std::get<0>(v[0].t().max(-1)); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a})) << name;
}

TEST_P(GradcheckTest, VarAndStd) {
  Tensor a = random_in({2, 3, 2});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"var()", [](const variable_list& v) { return v[0].var(); }},
      {"var(false)", [](const variable_list& v) { return v[0].var(false); }},
      {"var(1)", [](const variable_list& v) { return v[0].var(IntArrayRef{1}); }},
      {"var(0, 2) keepdim",
       [](const variable_list& v) {
         return v[0].var({0, 2}, true, true);
       }},
      {"var(-1) biased", [](const variable_list& v) { return var(v[0], {-1}, false); }},
      {"std()", [](const variable_list& v) { return v[0].std(); }},
      {"std(false)", [](const variable_list& v) { return v[0].std(false); }},
      {"std(1)", [](const variable_list& v) { return v[0].std(IntArrayRef{1}); }},
      {"std(0, 2) keepdim",
       [](const variable_list& v) {
         return v[0].std({0, 2}, true, true);
       }},
      {"std(-1) biased", [](const variable_list& v) { return axon::std(v[0], {-1}, false); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a})) << name;
}

TEST_P(GradcheckTest, LogsumexpSoftmaxAndLogSoftmaxOverDims) {
  Tensor a = random_in({2, 3, 2});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"logsumexp(1)", [](const variable_list& v) { return v[0].logsumexp({1}); }},
      {"logsumexp(0, 2) keepdim",
       [](const variable_list& v) {
         return v[0].logsumexp({0, 2}, true);
       }},
      {"logsumexp(-1)", [](const variable_list& v) { return logsumexp(v[0], {-1}); }},
      {"softmax(0)", [](const variable_list& v) { return v[0].softmax(0); }},
      {"softmax(1)", [](const variable_list& v) { return v[0].softmax(1); }},
      {"softmax(-1)", [](const variable_list& v) { return softmax(v[0], -1); }},
      {"log_softmax(0)", [](const variable_list& v) { return v[0].log_softmax(0); }},
      {"log_softmax(1)", [](const variable_list& v) { return v[0].log_softmax(1); }},
      {"log_softmax(-1)", [](const variable_list& v) { return log_softmax(v[0], -1); }},
      {"softmax of a transpose",
       [](const variable_list& v) { return v[0].transpose(0, 1).softmax(1); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a})) << name;
}

// ---- linear algebra -------------------------------------------------------------------------

TEST_P(GradcheckTest, MmAndBmm) {
  Tensor a = random_in({2, 3});
  Tensor b = random_in({3, 4}, 1);
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].mm(v[1]); }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return mm(v[1].t(), v[0].t()); }, {a, b}));
  Tensor c = random_in({2, 2, 3});
  Tensor d = random_in({2, 3, 2}, 1);
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].bmm(v[1]); }, {c, d}));
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) { return bmm(v[1].transpose(1, 2), v[0].transpose(1, 2)); },
      {c, d}));
}

TEST_P(GradcheckTest, MatmulEveryShapeCase) {
  manual_seed(1);
  auto r = [this](IntArrayRef shape) {
    return (rand(shape, options(kFloat64)) * 4 - 2).requires_grad_();
  };
  struct Case {
    const char* name;
    DimVector a, b;
  };
  const std::vector<Case> cases = {
      {"1D @ 1D", {3}, {3}},
      {"2D @ 1D", {2, 3}, {3}},
      {"1D @ 2D", {3}, {3, 2}},
      {"2D @ 2D", {2, 3}, {3, 2}},
      {"3D @ 1D", {2, 2, 3}, {3}},
      {"3D @ 2D", {2, 2, 3}, {3, 2}},
      {"1D @ 3D", {3}, {2, 3, 2}},
      {"2D @ 3D", {2, 3}, {2, 3, 2}},
      {"3D @ 3D", {2, 2, 3}, {2, 3, 2}},
      {"4D @ 3D broadcast", {2, 1, 2, 3}, {3, 3, 2}},
      {"3D @ 3D batch 1", {1, 2, 3}, {2, 3, 2}},
  };
  for (const Case& c : cases) {
    Tensor a = r(c.a);
    Tensor b = r(c.b);
    EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].matmul(v[1]); }, {a, b}))
        << c.name;
  }
}

// ---- views ----------------------------------------------------------------------------------

TEST_P(GradcheckTest, EveryViewOp) {
  using namespace indexing;  // NOLINT(google-build-using-namespace)
  Tensor a = random_in({2, 3, 2});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"view",
       [](const variable_list& v) {
         return v[0].view({3, 4});
       }},
      {"view -1",
       [](const variable_list& v) {
         return v[0].view({-1, 2});
       }},
      {"view_as", [](const variable_list& v) { return v[0].view({12}).view_as(v[0]); }},
      {"reshape",
       [](const variable_list& v) {
         return v[0].reshape({6, 2});
       }},
      {"reshape of a transpose",
       [](const variable_list& v) { return v[0].transpose(0, 2).reshape({-1}); }},
      {"flatten", [](const variable_list& v) { return v[0].flatten(); }},
      {"flatten(1)", [](const variable_list& v) { return v[0].flatten(1); }},
      {"flatten(0, 1)", [](const variable_list& v) { return flatten(v[0], 0, 1); }},
      {"squeeze", [](const variable_list& v) { return v[0].unsqueeze(1).squeeze(); }},
      {"squeeze(dim)", [](const variable_list& v) { return v[0].unsqueeze(3).squeeze(3); }},
      {"squeeze(non-1 dim)", [](const variable_list& v) { return v[0].squeeze(0); }},
      {"unsqueeze", [](const variable_list& v) { return v[0].unsqueeze(0); }},
      {"unsqueeze(-1)", [](const variable_list& v) { return v[0].unsqueeze(-1); }},
      {"transpose", [](const variable_list& v) { return v[0].transpose(0, 2); }},
      {"t", [](const variable_list& v) { return v[0].select(2, 0).t(); }},
      {"permute",
       [](const variable_list& v) {
         return v[0].permute({2, 0, 1});
       }},
      {"select", [](const variable_list& v) { return v[0].select(1, 2); }},
      {"select negative", [](const variable_list& v) { return v[0].select(-1, -1); }},
      {"operator[]", [](const variable_list& v) { return v[0][1]; }},
      {"slice", [](const variable_list& v) { return v[0].slice(1, 1); }},
      {"slice with step", [](const variable_list& v) { return v[0].slice(1, 0, 3, 2); }},
      {"slice negative", [](const variable_list& v) { return v[0].slice(1, -2, std::nullopt); }},
      {"narrow", [](const variable_list& v) { return v[0].narrow(1, 1, 2); }},
      {"expand",
       [](const variable_list& v) {
         return v[0].slice(1, 0, 1).expand({2, 3, 2});
       }},
      {"expand new dims",
       [](const variable_list& v) {
         return v[0].expand({2, 2, 3, 2});
       }},
      {"expand_as", [](const variable_list& v) { return v[0][0].expand_as(v[0]); }},
      {"broadcast_to",
       [](const variable_list& v) {
         return broadcast_to(v[0], {3, 2, 3, 2});
       }},
      {"index",
       [](const variable_list& v) {
         return v[0].index({1, Slice(None, None, 2)});
       }},
      {"index None Ellipsis",
       [](const variable_list& v) {
         return v[0].index({None, Ellipsis, 0});
       }},
      {"index slice step",
       [](const variable_list& v) {
         return v[0].index({Slice(), Slice(1, None)});
       }},
      {"chain",
       [](const variable_list& v) {
         return v[0].permute({2, 1, 0}).transpose(0, 1).select(0, 1).reshape({-1});
       }},
  };
  for (const auto& [name, fn] : ops) {
    // As written, the output is a view of the input; through clone() it has its own memory,
    // which separates a gradcheck problem with aliasing outputs from a wrong view backward.
    EXPECT_TRUE(grad_ok(fn, {a})) << name;
    EXPECT_TRUE(grad_ok([&fn](const variable_list& v) { return fn(v).clone(); }, {a}))
        << name << " (cloned)";
  }
}

// Views that overlap and are combined: the gradient of each read location adds up.
TEST_P(GradcheckTest, OverlappingViewsOfOneInput) {
  Tensor a = random_in({4});
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) { return v[0].slice(0, 0, 3) * v[0].slice(0, 1, 4); }, {a}));
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        return v[0].expand({4, 4}) * v[0].view({4, 1});
      },
      {a}));
}

// ---- joins and splits -----------------------------------------------------------------------

TEST_P(GradcheckTest, CatAndStack) {
  Tensor a = random_in({2, 3});
  Tensor b = random_in({1, 3}, 1);
  Tensor c = random_in({2, 3}, 2);
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return cat({v[0], v[1]}); }, {a, b}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return cat({v[0], v[1], v[0]}, 1); }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return cat({v[0], v[1]}, -1); }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return stack({v[0], v[1]}); }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return stack({v[0], v[1]}, 1); }, {a, c}));
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        return stack({v[0], v[1], v[0]}, -1);
      },
      {a, c}));
}

// Clones every output, so that the outputs do not share memory with the input.
MultiFn cloned(MultiFn fn) {
  return [fn = std::move(fn)](const variable_list& v) {
    variable_list out = fn(v);
    for (Tensor& t : out) t = t.clone();
    return out;
  };
}

TEST_P(GradcheckTest, SplitChunkAndUnbindAsMultipleOutputs) {
  Tensor a = random_in({4, 3});
  const std::vector<std::pair<const char*, MultiFn>> ops = {
      {"split(3)", [](const variable_list& v) { return v[0].split(3); }},
      {"split(2, 1)", [](const variable_list& v) { return v[0].split(2, 1); }},
      {"split({1, 3})",
       [](const variable_list& v) {
         return v[0].split(IntArrayRef({1, 3}));
       }},
      {"split({2, 1}, 1)",
       [](const variable_list& v) {
         return split(v[0], {2, 1}, 1);
       }},
      {"chunk(2)", [](const variable_list& v) { return v[0].chunk(2); }},
      {"chunk(3, 1)", [](const variable_list& v) { return v[0].chunk(3, 1); }},
      {"unbind()", [](const variable_list& v) { return v[0].unbind(); }},
      {"unbind(1)", [](const variable_list& v) { return unbind(v[0], 1); }},
  };
  for (const auto& [name, fn] : ops) {
    EXPECT_TRUE(grad_ok_multi(fn, {a})) << name;
    EXPECT_TRUE(grad_ok_multi(cloned(fn), {a})) << name << " (cloned)";
  }
  // Only some pieces used downstream.
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].chunk(2)[1] * 2; }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].unbind(1)[2].exp(); }, {a}));
}

// PyTorch's gradcheck clones the outputs of each evaluation: an output that is a view of (or
// is) the input must not change when the input is perturbed for the next evaluation.
TEST_P(GradcheckTest, HandlesOutputsThatAliasTheInput) {
  Tensor a = in({0.5, -1.5, 2.0});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0]; }, {a})) << "identity";
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].view({3, 1}); }, {a})) << "view";
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].contiguous(); }, {a}))
      << "contiguous";
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].to(kFloat64); }, {a}))
      << "to(same dtype)";
}

TEST_P(GradcheckTest, BroadcastTensors) {
  Tensor a = in({{0.5}, {-1.5}});
  Tensor b = in({2.0, -0.25, 1.0});
  EXPECT_TRUE(grad_ok_multi(cloned([](const variable_list& v) {
                              return broadcast_tensors({v[0], v[1]});
                            }),
                            {a, b}));
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        std::vector<Tensor> both = broadcast_tensors({v[0], v[1]});
        return both[0] * both[1];
      },
      {a, b}));
}

// ---- copies and conversions -----------------------------------------------------------------

TEST_P(GradcheckTest, CloneContiguousAndDtypeRoundTrips) {
  Tensor a = random_in({2, 3});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].clone(); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return clone(v[0]) * v[0]; }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].t().contiguous(); }, {a}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].to(kFloat64, false, true); }, {a}));
  // Through float32 and back: the function is the identity up to float32 rounding (~1e-7
  // relative), so the step must be large against that rounding.
  GradcheckOptions coarse;
  coarse.eps = 1e-2;
  coarse.atol = 1e-4;
  EXPECT_TRUE(
      grad_ok([](const variable_list& v) { return v[0].to(kFloat32).to(kFloat64); }, {a}, coarse));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].to(kFloat32).exp().to(kFloat64); },
                      {a}, coarse));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return (v[0].to(kFloat32) * 2).to(v[0]); }, {a},
                      coarse));
}

TEST_P(GradcheckTest, CopyIntoAFreshTensor) {
  Tensor a = x23();
  Tensor row = in({0.5, -1.5, 2.5});
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        Tensor out = zeros({2, 3}, v[0].options());
        out.copy_(v[0]);
        return out;
      },
      {a}));
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        Tensor out = zeros({2, 3}, v[0].options());
        out.copy_(v[0]);  // broadcast copy: the gradient sums over the rows
        return out * out;
      },
      {row}));
}

// ---- in-place ops on non-leaf tensors -------------------------------------------------------

TEST_P(GradcheckTest, InPlaceOpsOnANonLeafThatDoNotNeedTheOriginalValue) {
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});
  Tensor m = mask({{true, false, true}, {false, false, true}});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"add_(tensor, alpha)", [](const variable_list& v) { return (v[0] * 1).add_(v[1], 2); }},
      {"sub_(tensor)", [](const variable_list& v) { return (v[0] * 1).sub_(v[1]); }},
      {"add_(scalar)", [](const variable_list& v) { return (v[0] * 1).add_(2.5); }},
      {"mul_(scalar)", [](const variable_list& v) { return (v[0] * 1).mul_(-3); }},
      {"div_(scalar)", [](const variable_list& v) { return (v[0] * 1).div_(4); }},
      {"operator+=", [](const variable_list& v) { return (v[0] * 1) += v[1]; }},
      {"exp_", [](const variable_list& v) { return (v[0] * 1).exp_(); }},
      {"tanh_", [](const variable_list& v) { return (v[0] * 1).tanh_(); }},
      {"sigmoid_", [](const variable_list& v) { return (v[0] * 1).sigmoid_(); }},
      {"relu_", [](const variable_list& v) { return (v[0] * 1).relu_(); }},
      {"neg_", [](const variable_list& v) { return (v[0] * 1).neg_(); }},
      {"sqrt_", [](const variable_list& v) { return (v[0] * v[0] + 1).sqrt_(); }},
      {"masked_fill_", [m](const variable_list& v) { return (v[0] * 1).masked_fill_(m, 2); }},
      {"chain", [](const variable_list& v) { return (v[0] * 2).add_(1).exp_().mul_(0.5); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a, b})) << name;
}

TEST_P(GradcheckTest, InPlaceOpsOnANonLeafThatNeedTheOriginalValue) {
  // PyTorch keeps what the backward needs (the original self, or the result).
  Tensor a = x23();
  Tensor b = in({0.5, -1.5, 2.5});
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"mul_(tensor)", [](const variable_list& v) { return (v[0] * 1).mul_(v[1]); }},
      {"div_(tensor)", [](const variable_list& v) { return (v[0] * 1).div_(v[1]); }},
      {"operator*=", [](const variable_list& v) { return (v[0] * 1) *= v[1]; }},
      {"pow_(scalar)", [](const variable_list& v) { return (v[0] * 1).pow_(3); }},
      {"sin_", [](const variable_list& v) { return (v[0] * 1).sin_(); }},
      {"cos_", [](const variable_list& v) { return (v[0] * 1).cos_(); }},
      {"abs_", [](const variable_list& v) { return (v[0] * 1).abs_(); }},
      {"log_", [](const variable_list& v) { return (v[0] * v[0] + 1).log_(); }},
      {"clamp_", [](const variable_list& v) { return (v[0] * 1).clamp_(-1.0, 1.0); }},
      {"clamp_min_", [](const variable_list& v) { return (v[0] * 1).clamp_min_(0.0); }},
  };
  for (const auto& [name, fn] : ops) EXPECT_TRUE(grad_ok(fn, {a, b})) << name;
}

// ---- composite expressions ------------------------------------------------------------------

TEST_P(GradcheckTest, ASmallNetworkLayer) {
  Tensor x = random_in({3, 4});
  Tensor w = random_in({4, 2}, 1);
  Tensor b = in({0.1, -0.2});
  EXPECT_TRUE(grad_ok(
      [](const variable_list& v) {
        Tensor h = (v[0].matmul(v[1]) + v[2]).tanh();
        return h.log_softmax(1).mean();
      },
      {x, w, b}));
}

TEST_P(GradcheckTest, InputsThatNeedNoGradAreLeftOut) {
  Tensor a = x23();
  Tensor c = constant({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0] * v[1]; }, {a, c}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[1] / v[0]; }, {a, c}));
}

TEST_P(GradcheckTest, NonContiguousInputs) {
  Tensor base = random_in({3, 2});
  Tensor transposed = base.detach().t().requires_grad_();  // a leaf with strides [1, 2]
  ASSERT_FALSE(transposed.is_contiguous());
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].exp() * v[0]; }, {transposed}));
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].sum({0}); }, {transposed}));
}

TEST_P(GradcheckTest, SeveralOutputsOfDifferentShapes) {
  Tensor a = x23();
  EXPECT_TRUE(grad_ok_multi(
      [](const variable_list& v) {
        return variable_list{v[0].sum({1}), v[0] * v[0], v[0].amax()};
      },
      {a}));
}

// ---- gradcheck itself -----------------------------------------------------------------------

// x * y whose backward is wrong for y at element 2 (adds 1 there).
struct WrongBackward : Function<WrongBackward> {
  static Tensor forward(AutogradContext* ctx, Tensor x, Tensor y) {
    ctx->save_for_backward({x, y});
    return x * y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    variable_list saved = ctx->get_saved_variables();
    Tensor gy = grads[0] * saved[0];
    Tensor error = zeros_like(gy);
    {
      NoGradGuard no_grad;
      error[2] = 1.0;
    }
    return {grads[0] * saved[1], gy + error};
  }
};

TEST_P(GradcheckTest, ReturnsFalseForAWrongBackward) {
  Tensor x = in({0.5, 1.5, -2.0});
  Tensor y = in({1.0, -1.0, 3.0});
  Fn fn = [](const variable_list& v) { return WrongBackward::apply(v[0], v[1]); };
  EXPECT_FALSE(gradcheck(fn, {x, y}));
  // The correct part alone passes: y as a constant.
  Tensor y_constant = constant({1.0, -1.0, 3.0});
  EXPECT_TRUE(gradcheck(fn, {x, y_constant}));
}

TEST_P(GradcheckTest, RaiseExceptionNamesTheInputAndTheElement) {
  Tensor x = in({0.5, 1.5, -2.0});
  Tensor y = in({1.0, -1.0, 3.0});
  Fn fn = [](const variable_list& v) { return WrongBackward::apply(v[0], v[1]); };
  GradcheckOptions raise;
  raise.raise_exception = true;
  EXPECT_AXON_ERROR(gradcheck(fn, {x, y}, raise), "Jacobian mismatch");
  EXPECT_AXON_ERROR(gradcheck(fn, {x, y}, raise), "input 1");
  EXPECT_AXON_ERROR(gradcheck(fn, {x, y}, raise), "element 2");
}

TEST_P(GradcheckTest, RejectsFloat32Inputs) {
  Tensor x = tensor({1.0, 2.0}, options(kFloat32)).requires_grad_();
  Fn fn = [](const variable_list& v) { return v[0] * 2; };
  EXPECT_AXON_ERROR(gradcheck(fn, {x}), "gradcheck: input 0 requires grad but has dtype float32");
  EXPECT_AXON_ERROR(gradcheck(fn, {x}), "float64");
  // A float32 input that does not require grad is not checked, so it is allowed.
  Tensor constant32 = tensor({1.0, 2.0}, options(kFloat32));
  EXPECT_TRUE(
      grad_ok([](const variable_list& v) { return v[0] * v[1]; }, {in({3.0, 4.0}), constant32}));
}

TEST_P(GradcheckTest, RejectsInputsOfWhichNoneRequiresGrad) {
  Fn fn = [](const variable_list& v) { return v[0] * 2; };
  EXPECT_AXON_ERROR(gradcheck(fn, {constant({1.0})}), "gradcheck: no input requires grad");
}

TEST_P(GradcheckTest, RestoresTheInputsItPerturbs) {
  Tensor x = in({0.5, 1.5, -2.0});
  EXPECT_TRUE(grad_ok([](const variable_list& v) { return v[0].exp(); }, {x}));
  EXPECT_TRUE(testing::all_close(x, tensor({0.5, 1.5, -2.0}, TensorOptions(kFloat64)), 0, 0));
  EXPECT_FALSE(x.grad().defined());  // gradcheck uses autograd::grad, not .grad()
}

AXON_INSTANTIATE_DEVICE_TEST(GradcheckTest);

}  // namespace
}  // namespace axon
