// Reductions (sum, mean, prod, max/min, amax/amin, argmax/argmin, var/std, logsumexp, any/all)
// and softmax/log_softmax.
//
// Expected values are exact (sums of quarter-integers are exact in float32) or were printed by
// PyTorch 1.13 (/usr/bin/python3); the torch expression is in the comment above them.
#include <cmath>
#include <tuple>

#include "test_utils.h"

namespace axon {
namespace {

constexpr double kF32Tol = 1e-6;
constexpr double kF64Tol = 1e-13;

using testing::kInf;
using testing::kNaN;
using testing::same_values;

class ReductionTest : public testing::DeviceTest {
 protected:
  // X = torch.tensor([((i * 7) % 13 - 6) / 4.0 for i in range(24)]).reshape(2, 3, 4): quarter
  // integers, so every sum and mean below is exact in float32.
  Tensor x() const {
    return make({{{-1.5, 0.25, -1.25, 0.5}, {-1.0, 0.75, -0.75, 1.0}, {-0.5, 1.25, -0.25, 1.5}},
                 {{0.0, -1.5, 0.25, -1.25}, {0.5, -1.0, 0.75, -0.75}, {1.0, -0.5, 1.25, -0.25}}});
  }
};

// ============================================================================================
// sum, mean, prod
// ============================================================================================

TEST_P(ReductionTest, SumOverAllOneAndSeveralDims) {
  Tensor X = x();
  // X.sum() -> -1.5 (0-dim)
  Tensor all = X.sum();
  EXPECT_EQ(all.dim(), 0);
  EXPECT_TRUE(same_values(all, ref(-1.5)));
  EXPECT_TRUE(same_values(
      sum(X, {0}),
      ref({{-1.5, -1.25, -1.0, -0.75}, {-0.5, -0.25, 0.0, 0.25}, {0.5, 0.75, 1.0, 1.25}})));
  EXPECT_TRUE(same_values(X.sum({1}), ref({{-3.0, 2.25, -2.25, 3.0}, {1.5, -3.0, 2.25, -2.25}})));
  // X.sum(-1) -> [[-2.0, 0.0, 2.0], [-2.5, -0.5, 1.5]]
  EXPECT_TRUE(same_values(X.sum({-1}), ref({{-2.0, 0.0, 2.0}, {-2.5, -0.5, 1.5}})));
  EXPECT_TRUE(same_values(X.sum({2}), X.sum({-1})));
  // X.sum((0, 2)) -> [-4.5, -0.5, 3.5]; the dims need not be adjacent nor in order.
  EXPECT_TRUE(same_values(X.sum({0, 2}), ref({-4.5, -0.5, 3.5})));
  EXPECT_TRUE(same_values(X.sum({2, 0}), ref({-4.5, -0.5, 3.5})));
  EXPECT_TRUE(same_values(X.sum({-1, -3}), ref({-4.5, -0.5, 3.5})));
  EXPECT_TRUE(same_values(X.sum({0, 1, 2}), ref(-1.5)));
}

TEST_P(ReductionTest, SumKeepdimKeepsReducedDimsAsOne) {
  Tensor X = x();
  EXPECT_EQ(X.sum({1}, true).sizes(), IntArrayRef({2, 1, 4}));
  EXPECT_EQ(X.sum({0, 2}, true).sizes(), IntArrayRef({1, 3, 1}));
  EXPECT_TRUE(same_values(X.sum({0, 2}, true), ref({{{-4.5}, {-0.5}, {3.5}}})));
  EXPECT_EQ(X.sum({-1}, true).sizes(), IntArrayRef({2, 3, 1}));
  EXPECT_EQ(X.mean({1}, true).sizes(), IntArrayRef({2, 1, 4}));
  EXPECT_EQ(X.prod(2, true).sizes(), IntArrayRef({2, 3, 1}));
}

TEST_P(ReductionTest, SumWithDtypeArgument) {
  // torch.tensor([1.5, 2.5]).sum(dtype=torch.int64) -> tensor(3): elements cast first (1 + 2).
  EXPECT_TRUE(same_values(make({1.5, 2.5}).sum(kInt64), ref(3, kInt64)));
  EXPECT_TRUE(same_values(make({1, 2}, kInt64).sum(kFloat64), ref(3.0, kFloat64)));
  EXPECT_TRUE(same_values(x().sum({1}, false, kFloat64),
                          ref({{-3.0, 2.25, -2.25, 3.0}, {1.5, -3.0, 2.25, -2.25}}, kFloat64)));
  EXPECT_TRUE(same_values(make({1.0, 2.0}, kFloat64).sum(kFloat32), ref(3.0)));
}

TEST_P(ReductionTest, IntegerSumsGiveInt64) {
  // torch.tensor([200, 100], dtype=torch.uint8).sum() -> tensor(300) (int64, no wrap-around)
  EXPECT_TRUE(same_values(make({200, 100}, kUInt8).sum(), ref(300, kInt64)));
  EXPECT_TRUE(same_values(make({{200, 100}}, kUInt8).sum({1}), ref({300}, kInt64)));
  // torch.tensor([True, True, False]).sum() -> tensor(2)
  EXPECT_TRUE(same_values(make({true, true, false}, kBool).sum(), ref(2, kInt64)));
  EXPECT_TRUE(same_values(make({{1, -2}, {3, 4}}, kInt64).sum({0}), ref({4, 2}, kInt64)));
  // sum(0 .. 999999) = 999999 * 1000000 / 2
  EXPECT_TRUE(same_values(arange(1000000, options(kInt64)).sum(), ref(499999500000, kInt64)));
}

TEST_P(ReductionTest, SumAndProdInTheInputsOwnSmallDtype) {
  // x = torch.tensor([[True, True, False], [False, False, False]])
  // x.sum(1, dtype=torch.bool) -> [True, False]; x.prod(1, dtype=torch.bool) -> [False, False];
  // x.sum(dtype=torch.bool) -> True; torch.tensor([[True, True]]).prod(1, dtype=torch.bool) ->
  // [True]: a bool sum is "any" and a bool product "all".
  Tensor x = make({{true, true, false}, {false, false, false}}, kBool);
  EXPECT_TRUE(same_values(x.sum({1}, false, kBool), ref({true, false}, kBool)));
  EXPECT_TRUE(same_values(x.prod(1, false, kBool), ref({false, false}, kBool)));
  EXPECT_TRUE(same_values(x.sum(kBool), ref(true, kBool)));
  EXPECT_TRUE(same_values(make({{true, true}}, kBool).prod(1, false, kBool), ref({true}, kBool)));
  // torch.tensor([200, 100], dtype=torch.uint8).sum(dtype=torch.uint8) -> tensor(44): wraps.
  EXPECT_TRUE(same_values(make({200, 100}, kUInt8).sum(kUInt8), ref(44, kUInt8)));
}

TEST_P(ReductionTest, Mean) {
  Tensor X = x();
  // X.mean() -> -0.0625 = -1.5 / 24
  EXPECT_TRUE(same_values(X.mean(), ref(-0.0625)));
  EXPECT_TRUE(same_values(mean(X, {1}), ref({{-1.0, 0.75, -0.75, 1.0}, {0.5, -1.0, 0.75, -0.75}})));
  // X.mean((0, 2)) -> [-0.5625, -0.0625, 0.4375]
  EXPECT_TRUE(same_values(X.mean({0, -1}), ref({-0.5625, -0.0625, 0.4375})));
  EXPECT_TRUE(same_values(make({1.0, 2.0}, kFloat64).mean(), ref(1.5, kFloat64)));
  // torch.tensor([1, 2]).mean(dtype=torch.float32) -> tensor(1.5000)
  EXPECT_TRUE(same_values(make({1, 2}, kInt64).mean(kFloat32), ref(1.5)));
  EXPECT_TRUE(same_values(make({{1, 2}, {4, 8}}, kInt64).mean({1}, false, kFloat64),
                          ref({1.5, 6.0}, kFloat64)));
}

TEST_P(ReductionTest, MeanOfIntegerTensorIsAnError) {
  // torch.tensor([1, 2]).mean(): "mean(): could not infer output dtype. Input dtype must be
  // either a floating point or complex dtype. Got: Long"
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).mean(),
                    "mean(): could not infer output dtype. Input dtype must be either a floating "
                    "point or complex dtype");
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).mean(), "int64");
  EXPECT_AXON_ERROR(make({{1, 2}}, kUInt8).mean({0}), "mean(): could not infer output dtype");
  EXPECT_AXON_ERROR(make({true}, kBool).mean(), "mean(): could not infer output dtype");
}

TEST_P(ReductionTest, Prod) {
  Tensor X = x();
  // X.prod(1) -> [[-0.75, 0.234375, -0.234375, 0.75], [0.0, -0.75, 0.234375, -0.234375]]
  EXPECT_TRUE(same_values(
      prod(X, 1), ref({{-0.75, 0.234375, -0.234375, 0.75}, {0.0, -0.75, 0.234375, -0.234375}})));
  EXPECT_TRUE(same_values(X.prod(-2), X.prod(1)));
  EXPECT_TRUE(same_values(X.prod(), ref(0.0)));
  EXPECT_TRUE(same_values(make({1.5, -2.0, 4.0}).prod(), ref(-12.0)));
  // torch.tensor([2, 3, 4]).prod() -> tensor(24); uint8 and bool products are int64.
  EXPECT_TRUE(same_values(make({2, 3, 4}, kInt64).prod(), ref(24, kInt64)));
  EXPECT_TRUE(same_values(make({20, 30}, kUInt8).prod(), ref(600, kInt64)));
  EXPECT_TRUE(same_values(make({true, true}, kBool).prod(), ref(1, kInt64)));
  EXPECT_TRUE(same_values(make({{2, 3}, {4, 5}}, kInt64).prod(0, false, kFloat64),
                          ref({8.0, 15.0}, kFloat64)));
}

TEST_P(ReductionTest, DimOutOfRangeOrRepeatedIsAnError) {
  Tensor t = ones({2, 3}, options());
  // torch.ones(2, 3).sum(2): "Dimension out of range (expected to be in range of [-2, 1], but
  // got 2)"
  EXPECT_AXON_ERROR(t.sum({2}), "expected to be in range of [-2, 1], but got 2");
  EXPECT_AXON_ERROR(t.sum({-3}), "expected to be in range of [-2, 1], but got -3");
  EXPECT_AXON_ERROR(t.amax({5}), "amax");
  EXPECT_AXON_ERROR(t.max(2), "max");
  // torch.ones(2, 3).sum((0, 0)): "dim 0 appears multiple times in the list of dims"
  EXPECT_AXON_ERROR(t.sum({0, 0}), "dim 0 appears multiple times in the list of dims");
  EXPECT_AXON_ERROR(t.sum({1, -1}), "dim 1 appears multiple times");
}

TEST_P(ReductionTest, ReductionsOfZeroDimTensors) {
  Tensor s = make(2.5);
  // torch.tensor(2.5).sum(0) -> tensor(2.5); dim 0 and -1 name the 0-dim tensor itself.
  EXPECT_TRUE(same_values(s.sum({0}), ref(2.5)));
  EXPECT_TRUE(same_values(s.sum({-1}), ref(2.5)));
  EXPECT_TRUE(same_values(s.mean(), ref(2.5)));
  EXPECT_TRUE(same_values(s.amax(), ref(2.5)));
  EXPECT_TRUE(same_values(s.argmax(), ref(0, kInt64)));
  Tensor values, indices;
  std::tie(values, indices) = s.max(0);
  EXPECT_TRUE(same_values(values, ref(2.5)));
  EXPECT_TRUE(same_values(indices, ref(0, kInt64)));
}

// ============================================================================================
// max, min, amax, amin, argmax, argmin
// ============================================================================================

TEST_P(ReductionTest, MaxMinOverAll) {
  Tensor X = x();
  EXPECT_TRUE(same_values(X.max(), ref(1.5)));
  EXPECT_TRUE(same_values(min(X), ref(-1.5)));
  EXPECT_TRUE(same_values(make({{3, -7}, {12, 0}}, kInt64).max(), ref(12, kInt64)));
  EXPECT_TRUE(same_values(make({200, 3}, kUInt8).min(), ref(3, kUInt8)));
  EXPECT_TRUE(same_values(make({-kInf, 1.0}).min(), ref(-kInf)));
}

TEST_P(ReductionTest, MaxMinAlongDimReturnValuesAndFirstIndices) {
  // torch.tensor([[3., 1., 3.], [2., 5., 5.]]).max(1) -> values [3., 5.], indices [0, 1]:
  // ties give the first occurrence.
  Tensor t = make({{3.0, 1.0, 3.0}, {2.0, 5.0, 5.0}});
  auto [values, indices] = t.max(1);
  EXPECT_TRUE(same_values(values, ref({3.0, 5.0})));
  EXPECT_TRUE(same_values(indices, ref({0, 1}, kInt64)));
  // .min(0) -> values [2., 1., 3.], indices [1, 0, 0]
  auto [min_values, min_indices] = min(t, 0);
  EXPECT_TRUE(same_values(min_values, ref({2.0, 1.0, 3.0})));
  EXPECT_TRUE(same_values(min_indices, ref({1, 0, 0}, kInt64)));
  // keepdim and negative dim
  auto [kv, ki] = t.max(-1, true);
  EXPECT_TRUE(same_values(kv, ref({{3.0}, {5.0}})));
  EXPECT_TRUE(same_values(ki, ref({{0}, {1}}, kInt64)));
  // On X: X.max(1) -> values [[-0.5, 1.25, -0.25, 1.5], [1.0, -0.5, 1.25, -0.25]], indices 2;
  // X.min(2) -> values [[-1.5, -1.0, -0.5], [-1.5, -1.0, -0.5]], indices [[0, 0, 0], [1, 1, 1]]
  auto [xv, xi] = x().max(1);
  EXPECT_TRUE(same_values(xv, ref({{-0.5, 1.25, -0.25, 1.5}, {1.0, -0.5, 1.25, -0.25}})));
  EXPECT_TRUE(same_values(xi, ref({{2, 2, 2, 2}, {2, 2, 2, 2}}, kInt64)));
  auto [nv, ni] = x().min(2);
  EXPECT_TRUE(same_values(nv, ref({{-1.5, -1.0, -0.5}, {-1.5, -1.0, -0.5}})));
  EXPECT_TRUE(same_values(ni, ref({{0, 0, 0}, {1, 1, 1}}, kInt64)));
  // Integer ties too.
  auto [iv, ii] = make({{4, 9, 9, 1}}, kInt64).max(1);
  EXPECT_TRUE(same_values(iv, ref({9}, kInt64)));
  EXPECT_TRUE(same_values(ii, ref({1}, kInt64)));
}

TEST_P(ReductionTest, MaxMinPropagateNaNWithItsIndex) {
  // t = torch.tensor([[1., nan, 3., nan], [2., 1., 0., -1.]])
  // t.max(1) -> values [nan, 2.], indices [1, 0]; t.min(1) -> values [nan, -1.], indices [1, 3]
  Tensor t = make({{1.0, kNaN, 3.0, kNaN}, {2.0, 1.0, 0.0, -1.0}});
  auto [values, indices] = t.max(1);
  EXPECT_TRUE(same_values(values, ref({kNaN, 2.0})));
  EXPECT_TRUE(same_values(indices, ref({1, 0}, kInt64)));
  auto [min_values, min_indices] = t.min(1);
  EXPECT_TRUE(same_values(min_values, ref({kNaN, -1.0})));
  EXPECT_TRUE(same_values(min_indices, ref({1, 3}, kInt64)));
  // torch.tensor([1., nan, 3.]).max() -> nan; .amax() -> nan
  EXPECT_TRUE(same_values(make({1.0, kNaN, 3.0}).max(), ref(kNaN)));
  EXPECT_TRUE(same_values(make({1.0, kNaN, 3.0}).min(), ref(kNaN)));
  EXPECT_TRUE(same_values(make({1.0, kNaN, 3.0}).amax(), ref(kNaN)));
  EXPECT_TRUE(same_values(make({{kNaN, 1.0}, {0.0, 1.0}}).amin({1}), ref({kNaN, 0.0})));
  // torch.tensor([1., nan, 3., nan]).argmax() -> 1; torch.tensor([1., nan, -3., nan]).argmin()
  // -> 1
  EXPECT_TRUE(same_values(make({1.0, kNaN, 3.0, kNaN}).argmax(), ref(1, kInt64)));
  EXPECT_TRUE(same_values(make({1.0, kNaN, -3.0, kNaN}).argmin(), ref(1, kInt64)));
}

TEST_P(ReductionTest, AmaxAminOverSeveralDims) {
  Tensor X = x();
  // X.amax((0, 2)) -> [0.5, 1.0, 1.5]; X.amin((-1, -3)) -> [-1.5, -1.0, -0.5]
  EXPECT_TRUE(same_values(X.amax({0, 2}), ref({0.5, 1.0, 1.5})));
  EXPECT_TRUE(same_values(amin(X, {-1, -3}), ref({-1.5, -1.0, -0.5})));
  EXPECT_TRUE(same_values(X.amax({0, 2}, true), ref({{{0.5}, {1.0}, {1.5}}})));
  EXPECT_TRUE(same_values(X.amax(), ref(1.5)));
  EXPECT_TRUE(same_values(X.amin({}), ref(-1.5)));
  EXPECT_TRUE(same_values(X.amax({1}), std::get<0>(X.max(1))));
  EXPECT_TRUE(same_values(make({{5, 1}, {2, 7}}, kInt64).amin({0}), ref({2, 1}, kInt64)));
}

TEST_P(ReductionTest, ArgmaxArgmin) {
  Tensor X = x();
  // X.argmax() -> 11 (flat index); X.argmin() -> 0 (-1.5 also at 13: the first wins)
  EXPECT_TRUE(same_values(X.argmax(), ref(11, kInt64)));
  EXPECT_TRUE(same_values(argmin(X), ref(0, kInt64)));
  // X.argmax(1) -> all 2; X.argmin(0) -> [[0, 1, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1]]
  EXPECT_TRUE(same_values(X.argmax(1), ref({{2, 2, 2, 2}, {2, 2, 2, 2}}, kInt64)));
  EXPECT_TRUE(same_values(argmin(X, 0), ref({{0, 1, 0, 1}, {0, 1, 0, 1}, {0, 1, 0, 1}}, kInt64)));
  EXPECT_EQ(X.argmax(-1, true).sizes(), IntArrayRef({2, 3, 1}));
  // torch.tensor([[1, 7, 7], [7, 7, 1]]).argmax() -> 1; torch.tensor([[1, 7, 1], [7, 0, 0]])
  // .argmin(1) -> [0, 1]
  EXPECT_TRUE(same_values(make({{1, 7, 7}, {7, 7, 1}}, kInt64).argmax(), ref(1, kInt64)));
  EXPECT_TRUE(same_values(make({{1, 7, 1}, {7, 0, 0}}, kInt64).argmin(1), ref({0, 1}, kInt64)));
}

// ============================================================================================
// var, std
// ============================================================================================

TEST_P(ReductionTest, VarStdUnbiasedAndBiased) {
  Tensor X = x();
  // X.var() -> 0.88722825050354, X.var(unbiased=False) -> 0.8502604365348816
  EXPECT_TRUE(same_values(X.var(), ref(0.88722825050354), kF32Tol));
  EXPECT_TRUE(same_values(var(X, false), ref(0.8502604365348816), kF32Tol));
  // X.std() -> 0.941927969455719, X.std(unbiased=False) -> 0.9220956563949585
  EXPECT_TRUE(same_values(X.std(), ref(0.941927969455719), kF32Tol));
  EXPECT_TRUE(same_values(std(X, false), ref(0.9220956563949585), kF32Tol));
  // X.double().var() -> 0.8872282608695652, X.double().std(unbiased=False) -> 0.922095665680447
  EXPECT_TRUE(same_values(X.to(kFloat64).var(), ref(0.8872282608695652, kFloat64), kF64Tol));
  EXPECT_TRUE(same_values(X.to(kFloat64).std(false), ref(0.922095665680447, kFloat64), kF64Tol));
}

TEST_P(ReductionTest, VarStdOverDims) {
  Tensor X = x();
  // X.var(1) -> all 0.25; X.var(1, unbiased=False) -> all 0.1666666716337204
  EXPECT_TRUE(same_values(X.var(IntArrayRef{1}), full({2, 4}, 0.25, kFloat32), kF32Tol));
  EXPECT_TRUE(same_values(var(X, {1}, false), full({2, 4}, 0.1666666716337204, kFloat32), kF32Tol));
  EXPECT_EQ(X.var({1}, true, true).sizes(), IntArrayRef({2, 1, 4}));
  // X.var((0, 2)) -> 0.78125 each; X.std((0, 2)) -> 0.8838834762573242; biased ->
  // 0.8267973065376282
  EXPECT_TRUE(same_values(X.var({0, 2}), ref({0.78125, 0.78125, 0.78125}), kF32Tol));
  EXPECT_TRUE(same_values(
      X.std({0, 2}), ref({0.8838834762573242, 0.8838834762573242, 0.8838834762573242}), kF32Tol));
  EXPECT_TRUE(same_values(std(X, {0, 2}, false),
                          ref({0.8267973065376282, 0.8267973065376282, 0.8267973065376282}),
                          kF32Tol));
  // X.std(-1) -> [[1.0206207036972046] * 3, [0.8779711723327637] * 3]
  EXPECT_TRUE(same_values(X.std(IntArrayRef{-1}),
                          ref({{1.0206207036972046, 1.0206207036972046, 1.0206207036972046},
                               {0.8779711723327637, 0.8779711723327637, 0.8779711723327637}}),
                          kF32Tol));
}

TEST_P(ReductionTest, VarIsAccurateForLargeMeans) {
  // torch.tensor([[1e4 + 1, 1e4 + 2, 1e4 + 3, 1e4 + 4]]).var(1) -> 1.6666666269302368 (a
  // one-pass E[x^2] - E[x]^2 in float32 would lose every digit here).
  Tensor y = make({{10001.0, 10002.0, 10003.0, 10004.0}});
  EXPECT_TRUE(same_values(y.var(IntArrayRef{1}), ref({1.6666666269302368}), kF32Tol));
  EXPECT_TRUE(same_values(y.std({1}, false), ref({1.1180340051651}), kF32Tol));
}

TEST_P(ReductionTest, VarOfOneElement) {
  // torch.tensor([2.]).var() -> nan (divides by n - 1 = 0); unbiased=False -> 0.
  EXPECT_TRUE(same_values(make({2.0}).var(), ref(kNaN)));
  EXPECT_TRUE(same_values(make({2.0}).var(false), ref(0.0)));
  EXPECT_TRUE(same_values(make({2.0}).std(), ref(kNaN)));
}

TEST_P(ReductionTest, VarOfIntegerTensorIsAnError) {
  // torch.tensor([1, 2]).var(): "std and var only support floating point and complex dtypes"
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).var(), "var");
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).std(), "std");
}

// ============================================================================================
// logsumexp
// ============================================================================================

TEST_P(ReductionTest, Logsumexp) {
  Tensor X = x();
  // torch.logsumexp(X, 2)
  EXPECT_TRUE(same_values(logsumexp(X, {2}),
                          ref({{1.23616361618042, 1.73616361618042, 2.23616361618042},
                               {1.0273528099060059, 1.5273528099060059, 2.027352809906006}}),
                          kF32Tol));
  // torch.logsumexp(X, (0, 1))
  EXPECT_TRUE(same_values(
      X.logsumexp({0, 1}),
      ref({1.8816829919815063, 2.090493679046631, 2.131682872772217, 2.340493679046631}), kF32Tol));
  // torch.logsumexp(torch.zeros(2, 3, 4), (0, 2), keepdim=True).shape -> [1, 3, 1]; log(8)
  Tensor k = zeros({2, 3, 4}, options()).logsumexp({0, 2}, true);
  EXPECT_TRUE(same_values(k, full({1, 3, 1}, std::log(8.0), kFloat32), kF32Tol));
}

TEST_P(ReductionTest, LogsumexpIsStableForLargeValues) {
  // torch.logsumexp(torch.tensor([[1000., 1000.], [-1000., -1001.]]), 1) ->
  // [1000.6931762695312, -999.686767578125]; exp(1000) alone would overflow.
  EXPECT_TRUE(same_values(make({{1000.0, 1000.0}, {-1000.0, -1001.0}}).logsumexp({1}),
                          ref({1000.6931762695312, -999.686767578125}), kF32Tol));
}

TEST_P(ReductionTest, LogsumexpWithInfinities) {
  // torch.logsumexp(torch.tensor([[-inf, -inf], [0., -inf]]), 1) -> [-inf, 0.]
  EXPECT_TRUE(same_values(make({{-kInf, -kInf}, {0.0, -kInf}}).logsumexp({1}), ref({-kInf, 0.0})));
  // torch.logsumexp(torch.tensor([[inf, 1.], [inf, inf]]), 1) -> [inf, inf]
  EXPECT_TRUE(same_values(make({{kInf, 1.0}, {kInf, kInf}}).logsumexp({1}), ref({kInf, kInf})));
}

TEST_P(ReductionTest, LogsumexpOfIntegersIsFloat) {
  // torch.logsumexp(torch.tensor([1, 2]), 0) -> 2.3132617473602295 (float32)
  EXPECT_TRUE(same_values(make({1, 2}, kInt64).logsumexp({0}), ref(2.3132617473602295), kF32Tol));
}

// ============================================================================================
// any, all
// ============================================================================================

TEST_P(ReductionTest, AnyAll) {
  EXPECT_TRUE(same_values(make({false, true, false}, kBool).any(), ref(true, kBool)));
  EXPECT_TRUE(same_values(make({false, true, false}, kBool).all(), ref(false, kBool)));
  EXPECT_TRUE(same_values(make({true, true}, kBool).all(), ref(true, kBool)));
  EXPECT_TRUE(same_values(make({false, false}, kBool).any(), ref(false, kBool)));
  // Numbers are tested against zero: torch.tensor([0, 0, 3]).any() -> True; NaN is non-zero:
  // torch.tensor([1., nan, 2.]).all() -> True
  EXPECT_TRUE(same_values(make({0, 0, 3}, kInt64).any(), ref(true, kBool)));
  EXPECT_TRUE(same_values(make({0, 0, 3}, kInt64).all(), ref(false, kBool)));
  EXPECT_TRUE(same_values(make({1.0, kNaN, 2.0}).all(), ref(true, kBool)));
  EXPECT_TRUE(same_values(make({0.0, -0.0}).any(), ref(false, kBool)));
  EXPECT_TRUE(same_values(any(make({{0.0, 0.0}, {0.0, 0.5}})), ref(true, kBool)));
}

TEST_P(ReductionTest, AnyAllOfEmptyTensors) {
  // torch.zeros(0).any() -> False, torch.zeros(0).all() -> True (the identities)
  EXPECT_TRUE(same_values(zeros({0}, options()).any(), ref(false, kBool)));
  EXPECT_TRUE(same_values(zeros({0}, options()).all(), ref(true, kBool)));
  EXPECT_TRUE(same_values(all(zeros({2, 0}, options(kBool))), ref(true, kBool)));
}

// ============================================================================================
// softmax, log_softmax
// ============================================================================================

TEST_P(ReductionTest, SoftmaxAlongEachDim) {
  Tensor X = x();
  // torch.softmax(X, 0)
  EXPECT_TRUE(same_values(
      softmax(X, 0),
      ref({{{0.18242551386356354, 0.8519527316093445, 0.18242551386356354, 0.8519527316093445},
            {0.18242551386356354, 0.8519527316093445, 0.18242551386356354, 0.8519527316093445},
            {0.18242551386356354, 0.8519527316093445, 0.18242551386356354, 0.8519527316093445}},
           {{0.8175744414329529, 0.14804719388484955, 0.8175744414329529, 0.14804719388484955},
            {0.8175744414329529, 0.14804719388484955, 0.8175744414329529, 0.14804719388484955},
            {0.8175744414329529, 0.14804719388484955, 0.8175744414329529, 0.14804719388484955}}}),
      kF32Tol));
  // torch.softmax(X, 1): each row of 3 is [0.18632373213768005, 0.30719590187072754,
  // 0.5064803957939148] in every column
  Tensor s1 = X.softmax(1);
  Tensor expected1 =
      ref({{{0.18632373213768005}, {0.30719590187072754}, {0.5064803957939148}}}).expand({2, 3, 4});
  EXPECT_TRUE(same_values(s1, expected1.contiguous(), kF32Tol));
  // torch.softmax(X, 2)
  Tensor s2 = softmax(X, -1);
  EXPECT_TRUE(same_values(
      s2,
      ref({{{0.06481853872537613, 0.3730049729347229, 0.08322865515947342, 0.47894784808158875},
            {0.06481853872537613, 0.3730049729347229, 0.08322865515947342, 0.47894784808158875},
            {0.06481853872537613, 0.3730049729347229, 0.08322865515947342, 0.47894784808158875}},
           {{0.3579533100128174, 0.07987017929553986, 0.4596211314201355, 0.10255534201860428},
            {0.3579533100128174, 0.07987017929553986, 0.4596211314201355, 0.10255534201860428},
            {0.3579533100128174, 0.07987017929553986, 0.4596211314201355, 0.10255534201860428}}}),
      kF32Tol));
  EXPECT_TRUE(same_values(X.softmax(2), s2));
  // Every slice sums to 1.
  for (int64_t d = 0; d < 3; ++d) {
    SCOPED_TRACE(d);
    Tensor s = X.softmax(d);
    Tensor shape_ones = ones(s.sum({d}).sizes(), options());
    EXPECT_TRUE(same_values(s.sum({d}), shape_ones, 1e-6));
  }
}

TEST_P(ReductionTest, LogSoftmaxAlongEachDim) {
  Tensor X = x();
  // torch.log_softmax(X, 0): [-1.7014133930206299, -0.16022419929504395] alternating in the
  // first block, [-0.2014133334159851, -1.910224199295044] in the second
  Tensor row0 =
      ref({-1.7014133930206299, -0.16022419929504395, -1.7014133930206299, -0.16022419929504395});
  Tensor row1 =
      ref({-0.2014133334159851, -1.910224199295044, -0.2014133334159851, -1.910224199295044});
  Tensor expected0 = stack({row0.expand({3, 4}), row1.expand({3, 4})});
  EXPECT_TRUE(same_values(log_softmax(X, 0), expected0, kF32Tol));
  // torch.log_softmax(X, 1)
  Tensor expected1 =
      ref({{{-1.680269718170166}, {-1.180269718170166}, {-0.6802696585655212}}}).expand({2, 3, 4});
  EXPECT_TRUE(same_values(X.log_softmax(-2), expected1.contiguous(), kF32Tol));
  // torch.log_softmax(X, 2)
  Tensor a = ref({-2.73616361618042, -0.9861635565757751, -2.48616361618042, -0.7361635565757751});
  Tensor b =
      ref({-1.0273528099060059, -2.527352809906006, -0.7773527503013611, -2.277352809906006});
  EXPECT_TRUE(same_values(X.log_softmax(2), stack({a.expand({3, 4}), b.expand({3, 4})}), kF32Tol));
  // log_softmax is log(softmax)
  for (int64_t d = 0; d < 3; ++d) {
    EXPECT_TRUE(same_values(X.log_softmax(d), X.softmax(d).log(), 1e-5, 1e-6));
  }
}

TEST_P(ReductionTest, SoftmaxIsStableForLargeLogits) {
  // torch.softmax(torch.tensor([1000., 1001., 1002.]), 0) and log_softmax; naive exp overflows.
  Tensor big = make({1000.0, 1001.0, 1002.0});
  Tensor expected = ref({0.09003057330846786, 0.2447284758090973, 0.6652409434318542});
  EXPECT_TRUE(same_values(big.softmax(0), expected, kF32Tol));
  EXPECT_TRUE(same_values(big.log_softmax(0),
                          ref({-2.4076058864593506, -1.4076058864593506, -0.40760594606399536}),
                          kF32Tol));
  // torch.softmax(torch.tensor([-1000., -1001., -1002.]), 0): naive exp underflows to 0/0.
  EXPECT_TRUE(same_values(make({-1000.0, -1001.0, -1002.0}).softmax(0),
                          ref({0.6652409434318542, 0.2447284758090973, 0.09003057330846786}),
                          kF32Tol));
  // Along a non-last dim too.
  EXPECT_TRUE(same_values(big.reshape({3, 1}).softmax(0), expected.reshape({3, 1}), kF32Tol));
}

TEST_P(ReductionTest, SoftmaxWithNegativeInfinity) {
  // torch.softmax(torch.tensor([[0., -inf], [-inf, -inf]]), 1) -> [[1., 0.], [nan, nan]]
  Tensor t = make({{0.0, -kInf}, {-kInf, -kInf}});
  EXPECT_TRUE(same_values(t.softmax(1), ref({{1.0, 0.0}, {kNaN, kNaN}})));
  // torch.log_softmax(...) -> [[0., -inf], [nan, nan]]
  EXPECT_TRUE(same_values(t.log_softmax(1), ref({{0.0, -kInf}, {kNaN, kNaN}})));
}

TEST_P(ReductionTest, SoftmaxDtypeArgument) {
  Tensor X = x();
  // torch.softmax(X, 2, dtype=torch.float64): the input is converted before the softmax.
  Tensor s = softmax(X, 2, kFloat64);
  EXPECT_EQ(s.dtype(), kFloat64);
  Tensor a = ref({0.06481854227628749, 0.3730049568379145, 0.083228655755402, 0.4789478451303962},
                 kFloat64);
  Tensor b =
      ref({0.35795331795356183, 0.07987018116064006, 0.4596211582400818, 0.10255534264571627},
          kFloat64);
  EXPECT_TRUE(same_values(s, stack({a.expand({3, 4}), b.expand({3, 4})}), kF64Tol));
  // torch.log_softmax(X, -1, dtype=torch.float64)
  Tensor la = ref(
      {-2.736163570316931, -0.9861635703169307, -2.486163570316931, -0.7361635703169307}, kFloat64);
  Tensor lb = ref({-1.027352697861596, -2.527352697861596, -0.777352697861596, -2.277352697861596},
                  kFloat64);
  EXPECT_TRUE(same_values(X.log_softmax(-1, kFloat64),
                          stack({la.expand({3, 4}), lb.expand({3, 4})}), kF64Tol));
  // torch.softmax(torch.tensor([1, 2]), 0, dtype=torch.float64) -> [0.26894142136999516,
  // 0.7310585786300049]; without a dtype an integer input is an error.
  EXPECT_TRUE(same_values(make({1, 2}, kInt64).softmax(0, kFloat64),
                          ref({0.26894142136999516, 0.7310585786300049}, kFloat64), kF64Tol));
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).softmax(0), "softmax");
  EXPECT_AXON_ERROR(make({1, 2}, kInt64).log_softmax(0), "log_softmax");
}

TEST_P(ReductionTest, SoftmaxOfZeroDimAndEmptyTensors) {
  // torch.softmax(torch.tensor(3.), 0) -> tensor(1.)
  EXPECT_TRUE(same_values(make(3.0).softmax(0), ref(1.0)));
  EXPECT_TRUE(same_values(make(3.0).log_softmax(-1), ref(0.0)));
  EXPECT_EQ(zeros({0, 3}, options()).softmax(1).sizes(), IntArrayRef({0, 3}));
  EXPECT_AXON_ERROR(ones({2, 3}, options()).softmax(2), "softmax");
}

// ============================================================================================
// Non-contiguous inputs
// ============================================================================================

TEST_P(ReductionTest, NonContiguousInputsGiveTheSameResults) {
  Tensor X = x();
  Tensor p = X.permute({2, 0, 1});  // [4, 2, 3], non-contiguous
  ASSERT_FALSE(p.is_contiguous());
  Tensor pc = p.contiguous();
  EXPECT_TRUE(same_values(p.sum(), pc.sum()));
  for (int64_t d = 0; d < 3; ++d) {
    SCOPED_TRACE(d);
    EXPECT_TRUE(same_values(p.sum({d}), pc.sum({d})));
    EXPECT_TRUE(same_values(p.mean({d}, true), pc.mean({d}, true)));
    EXPECT_TRUE(same_values(p.prod(d), pc.prod(d)));
    EXPECT_TRUE(same_values(std::get<0>(p.max(d)), std::get<0>(pc.max(d))));
    EXPECT_TRUE(same_values(std::get<1>(p.max(d)), std::get<1>(pc.max(d))));
    EXPECT_TRUE(same_values(std::get<1>(p.min(d)), std::get<1>(pc.min(d))));
    EXPECT_TRUE(same_values(p.argmax(d), pc.argmax(d)));
    EXPECT_TRUE(same_values(p.var(IntArrayRef{d}), pc.var(IntArrayRef{d}), kF32Tol, 1e-7));
    EXPECT_TRUE(same_values(p.logsumexp({d}), pc.logsumexp({d}), kF32Tol));
    EXPECT_TRUE(same_values(p.softmax(d), pc.softmax(d), kF32Tol));
    EXPECT_TRUE(same_values(p.log_softmax(d), pc.log_softmax(d), kF32Tol));
  }
  EXPECT_TRUE(same_values(p.sum({0, 2}), pc.sum({0, 2})));
  EXPECT_TRUE(same_values(p.amax({0, 2}), pc.amax({0, 2})));
  EXPECT_TRUE(same_values(p.argmin(), pc.argmin()));
  // A stepped slice: X[:, ::2, 1::2] -> [2, 2, 2]
  Tensor s = X.slice(1, 0, 3, 2).slice(2, 1, 4, 2);
  ASSERT_FALSE(s.is_contiguous());
  // X[:, ::2, 1::2] = [[[0.25, 0.5], [1.25, 1.5]], [[-1.5, -1.25], [-0.5, -0.25]]]
  EXPECT_TRUE(same_values(s.sum({2}), ref({{0.75, 2.75}, {-2.75, -0.75}})));
  EXPECT_TRUE(same_values(s.sum(), ref(0.0)));
  EXPECT_TRUE(same_values(s.amax({0, 1}), ref({1.25, 1.5})));
  EXPECT_TRUE(same_values(s.argmax(), ref(3, kInt64)));
  EXPECT_TRUE(same_values(s.softmax(0), s.contiguous().softmax(0), kF32Tol));
  // An expanded (stride-0) input.
  Tensor e = make({1.0, 2.0, 3.0}).expand({4, 3});
  EXPECT_TRUE(same_values(e.sum({0}), ref({4.0, 8.0, 12.0})));
  EXPECT_TRUE(same_values(e.softmax(0), full({4, 3}, 0.25, kFloat32)));
}

// ============================================================================================
// Empty tensors
// ============================================================================================

TEST_P(ReductionTest, ReductionsOfEmptyTensorsGiveIdentities) {
  Tensor empty = zeros({0, 3}, options());
  // torch.zeros(0, 3).sum() -> tensor(0.); .sum(0) -> [0., 0., 0.]; torch.zeros(0).prod() ->
  // tensor(1.); torch.zeros(0).mean() -> nan; torch.zeros(0, 3).mean(0) -> [nan, nan, nan]
  EXPECT_TRUE(same_values(empty.sum(), ref(0.0)));
  EXPECT_TRUE(same_values(empty.sum({0}), ref({0.0, 0.0, 0.0})));
  EXPECT_EQ(empty.sum({1}).sizes(), IntArrayRef({0}));
  EXPECT_TRUE(same_values(zeros({0}, options()).prod(), ref(1.0)));
  EXPECT_TRUE(same_values(zeros({0}, options()).mean(), ref(kNaN)));
  EXPECT_TRUE(same_values(empty.mean({0}), ref({kNaN, kNaN, kNaN})));
  EXPECT_TRUE(same_values(zeros({0}, options(kInt64)).sum(), ref(0, kInt64)));
  // torch.zeros(0, 3).max(1) -> empty values and indices; torch.zeros(0, 3).amax(1) -> []
  auto [values, indices] = empty.max(1);
  EXPECT_EQ(values.sizes(), IntArrayRef({0}));
  EXPECT_EQ(indices.sizes(), IntArrayRef({0}));
  EXPECT_EQ(indices.dtype(), kInt64);
  EXPECT_EQ(empty.amax({1}).sizes(), IntArrayRef({0}));
}

TEST_P(ReductionTest, MaxOfEmptyTensorIsAnError) {
  // torch.zeros(0).max(): "max(): Expected reduction dim to be specified for input.numel() == 0.
  // Specify the reduction dim with the 'dim' argument."
  Tensor empty = zeros({0}, options());
  EXPECT_AXON_ERROR(empty.max(),
                    "max(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_AXON_ERROR(empty.min(),
                    "min(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_AXON_ERROR(empty.amax(), "amax()");
  // torch.zeros(0).argmax(): "argmax(): Expected reduction dim to be specified for
  // input.numel() == 0."
  EXPECT_AXON_ERROR(empty.argmax(),
                    "argmax(): Expected reduction dim to be specified for input.numel() == 0");
  EXPECT_AXON_ERROR(empty.argmin(), "argmin()");
  // torch.zeros(0, 3).max(0): "max(): Expected reduction dim 0 to have non-zero size."
  Tensor rows = zeros({0, 3}, options());
  EXPECT_AXON_ERROR(rows.max(0), "max(): Expected reduction dim 0 to have non-zero size");
  EXPECT_AXON_ERROR(rows.min(0), "min()");
  EXPECT_AXON_ERROR(rows.argmax(0), "argmax()");
  // torch.zeros(0, 3).amax(0): "amax(): Expected reduction dim 0 to have non-zero size."
  EXPECT_AXON_ERROR(rows.amax({0}), "amax()");
}

// ============================================================================================
// Large reductions
// ============================================================================================

TEST_P(ReductionTest, LargeFloat32SumsAccumulateInFloat64) {
  // 2^24 + 2 float32 ones. A float32 running sum stops at 2^24 = 16777216 (2^24 + 1 rounds back
  // to 2^24); axon accumulates float sums in float64, so the sum is exactly 16777218, which
  // float32 represents (torch.ones(2**24 + 2).sum() -> 16777218. too, by cascade summation).
  const int64_t n = (int64_t{1} << 24) + 2;
  Tensor big = ones({n}, options());
  EXPECT_EQ(big.sum().item<double>(), 16777218.0);
  EXPECT_EQ(big.mean().item<double>(), 1.0);
  // The same through the column path: [n / 2, 2] summed over dim 0.
  EXPECT_TRUE(same_values(big.view({n / 2, 2}).sum({0}), ref({8388609.0, 8388609.0})));
  // 10^7 copies of float32(0.1) = 13421773 * 2^-27. Every partial sum k * 13421773 * 2^-27 is
  // exact in float64 (k * 13421773 < 2^53), so the float64 total is 1000000.0149011612, which
  // rounds to float32 1000000.0 (the float32 spacing there is 0.0625). PyTorch 1.13's float32
  // cascade sum gives 999999.4375 instead.
  Tensor tenths = full({10000000}, 0.1, options());
  EXPECT_EQ(tenths.sum().item<double>(), 1000000.0);
  EXPECT_EQ(tenths.sum(kFloat64).item<double>(), 10000000 * static_cast<double>(0.1f));
}

TEST_P(ReductionTest, LargeRowAndColumnSumsAreExact) {
  // sum(0 .. 99999) = 99999 * 100000 / 2 = 4999950000, exact in float64.
  Tensor r = arange(100000, options(kFloat64));
  EXPECT_EQ(r.sum().item<double>(), 4999950000.0);
  // max over a long row finds the single largest element wherever it is.
  Tensor m = zeros({200000}, options());
  m.index_put_({123457}, 5.0);
  auto [value, index] = m.max(0);
  EXPECT_EQ(value.item<double>(), 5.0);
  EXPECT_EQ(index.item<int64_t>(), 123457);
  EXPECT_EQ(m.argmax().item<int64_t>(), 123457);
  EXPECT_EQ(m.amax().item<double>(), 5.0);
}

// Regression: the chunked path of a long reduction kept its per-chunk results in a
// std::vector<bool> for bool inputs, whose packed bits two threads then wrote at once.
TEST_P(ReductionTest, LongBoolReductionsAreRaceFree) {
  Tensor all_true = ones({200000}, options(kBool));
  Tensor one_false = all_true.clone();
  one_false.index_put_({150000}, false);
  for (int i = 0; i < 3000; ++i) {  // the race showed about once in 2000 reductions
    ASSERT_TRUE(all_true.all().item<bool>());
    ASSERT_FALSE(one_false.all().item<bool>());
    ASSERT_TRUE(one_false.any().item<bool>());
  }
}

AXON_INSTANTIATE_DEVICE_TEST(ReductionTest);

}  // namespace
}  // namespace axon
