// Copies and conversions (tensor.h, "copies and conversions"): copy_, fill_, zero_, to(...),
// dtype conversions of out-of-range values, and printing bool tensors.
//
// Expected values are exact (small integers, binary fractions) or were printed by PyTorch 1.13
// (/usr/bin/python3); the torch expression is in the comment above them.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::floats;
using testing::longs;
using testing::Shape;
using testing::values;

std::vector<bool> bools(std::initializer_list<bool> v) { return v; }

class CopyTest : public testing::DeviceTest {};

// ============================================================================================
// copy_
// ============================================================================================

TEST_P(CopyTest, CopyBroadcastsTheSource) {
  Tensor dst = zeros({2, 3}, options());
  const Tensor& same = dst.copy_(make({1.0, 2.0, 3.0}, kFloat32));
  EXPECT_TRUE(same.is_same(dst));
  EXPECT_EQ(values<float>(dst), floats({1, 2, 3, 1, 2, 3}));
  dst.copy_(make({{-1.0}, {-2.0}}, kFloat32));
  EXPECT_EQ(values<float>(dst), floats({-1, -1, -1, -2, -2, -2}));
  dst.copy_(make(4.5, kFloat32));
  EXPECT_EQ(values<float>(dst), floats({4.5f, 4.5f, 4.5f, 4.5f, 4.5f, 4.5f}));
}

TEST_P(CopyTest, CopyShapeErrors) {
  Tensor dst = zeros({2, 3}, options());
  // torch.zeros(2, 3).copy_(torch.ones(2)): "The size of tensor a (3) must match the size of
  // tensor b (2) at non-singleton dimension 1"
  EXPECT_AXON_ERROR(dst.copy_(ones({2}, options())),
                    "The size of tensor a (3) must match the size of tensor b (2) at "
                    "non-singleton dimension 1");
  // torch.zeros(3).copy_(torch.ones(1, 3)): "output with shape [3] doesn't match the broadcast
  // shape [1, 3]"
  EXPECT_AXON_ERROR(zeros({3}, options()).copy_(ones({1, 3}, options())),
                    "copy_: the source of shape [1, 3] cannot be broadcast to the destination's "
                    "shape [3]");
  // torch.ones(3, 1).expand(3, 4).copy_(torch.ones(3, 4)): "unsupported operation: more than one
  // element of the written-to tensor refers to a single memory location"
  EXPECT_AXON_ERROR(ones({3, 1}, options()).expand({3, 4}).copy_(ones({3, 4}, options())),
                    "more than one element of the written-to tensor refers to a single memory "
                    "location");
}

TEST_P(CopyTest, CopyConvertsDTypes) {
  // torch.zeros(2, 3, dtype=torch.long).copy_(torch.tensor([1.9, -1.9, 2.5])) truncates:
  // [[1, -1, 2], [1, -1, 2]]
  Tensor i = zeros({2, 3}, options(kInt64));
  i.copy_(make({1.9, -1.9, 2.5}, kFloat32));
  EXPECT_EQ(values<int64_t>(i), longs({1, -1, 2, 1, -1, 2}));
  // int -> bool is "!= 0"
  Tensor b = zeros({3}, options(kBool));
  b.copy_(make({0, 3, -2}, kInt64));
  EXPECT_EQ(values<bool>(b), bools({false, true, true}));
  // torch.tensor([nan, 0.5, -0.0]).to(torch.bool) -> [True, True, False]
  b.copy_(make({std::numeric_limits<double>::quiet_NaN(), 0.5, -0.0}, kFloat64));
  EXPECT_EQ(values<bool>(b), bools({true, true, false}));
  // torch.tensor([256, -1, 511]).to(torch.uint8) -> [0, 255, 255] (integers wrap)
  Tensor u = zeros({3}, options(kUInt8));
  u.copy_(make({256, -1, 511}, kInt64));
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{0, 255, 255}));
  Tensor f = zeros({2}, options(kFloat64));
  f.copy_(make({true, false}, kBool));
  EXPECT_EQ(values<double>(f), (std::vector<double>{1, 0}));
}

TEST_P(CopyTest, CopyIntoANonContiguousView) {
  Tensor x = zeros({2, 3}, options(kInt64));
  x.t().copy_(iota({3, 2}));  // x.t()[i][j] = 2i + j, so x[j][i] = 2i + j
  EXPECT_EQ(values<int64_t>(x), longs({0, 2, 4, 1, 3, 5}));
  x.select(1, 1).copy_(make({-7, -8}, kInt64));
  EXPECT_EQ(values<int64_t>(x), longs({0, -7, 4, 1, -8, 5}));
}

TEST_P(CopyTest, CopyBumpsTheVersion) {
  Tensor x = zeros({3}, options());
  uint32_t v0 = x._version();
  x.copy_(ones({3}, options()));
  EXPECT_EQ(x._version(), v0 + 1);
}

// axon stages copies between overlapping views of one storage, so the result is what copying
// from a clone gives (PyTorch 1.13 raises "unsupported operation: some elements of the input
// tensor and the written-to tensor refer to a single memory location" instead).
TEST_P(CopyTest, CopyBetweenShiftedOverlappingViewsMatchesCopyFromClone) {
  // b[1:] = b[:-1] -> [0, 0, 1, 2, 3, 4]
  Tensor b = iota({6});
  b.slice(0, 1).copy_(b.slice(0, 0, 5));
  Tensor expected = iota({6});
  expected.slice(0, 1).copy_(expected.slice(0, 0, 5).clone());
  EXPECT_EQ(values<int64_t>(b), longs({0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(values<int64_t>(b), values<int64_t>(expected));
  // b[:-1] = b[1:] -> [1, 2, 3, 4, 5, 5]
  Tensor c = iota({6});
  c.slice(0, 0, 5).copy_(c.slice(0, 1));
  EXPECT_EQ(values<int64_t>(c), longs({1, 2, 3, 4, 5, 5}));
}

TEST_P(CopyTest, CopyFromATransposeOfItselfMatchesCopyFromClone) {
  // a.copy_(a.t()) with a = arange(9).view(3, 3): the two views start at the same address but
  // read the storage in different orders. From a clone: [[0, 3, 6], [1, 4, 7], [2, 5, 8]].
  Tensor a = iota({3, 3});
  a.copy_(a.t());
  Tensor expected = iota({3, 3});
  expected.copy_(expected.t().clone());
  EXPECT_EQ(values<int64_t>(expected), longs({0, 3, 6, 1, 4, 7, 2, 5, 8}));
  EXPECT_EQ(values<int64_t>(a), values<int64_t>(expected));
}

TEST_P(CopyTest, CopyFromItselfIsANoOp) {
  Tensor a = iota({4});
  a.copy_(a);
  EXPECT_EQ(values<int64_t>(a), longs({0, 1, 2, 3}));
}

// ============================================================================================
// fill_ and zero_
// ============================================================================================

TEST_P(CopyTest, FillAndZero) {
  Tensor f = empty({2, 2}, options());
  const Tensor& same = f.fill_(2.5);
  EXPECT_TRUE(same.is_same(f));
  EXPECT_EQ(values<float>(f), floats({2.5f, 2.5f, 2.5f, 2.5f}));
  Tensor i = empty({3}, options(kInt64));
  i.fill_(-7);
  EXPECT_EQ(values<int64_t>(i), longs({-7, -7, -7}));
  Tensor b = zeros({2}, options(kBool));
  b.fill_(true);
  EXPECT_EQ(values<bool>(b), bools({true, true}));
  // torch.zeros(3).fill_(True) -> [1., 1., 1.]
  f.fill_(true);
  EXPECT_EQ(values<float>(f), floats({1, 1, 1, 1}));
  uint32_t v = f._version();
  const Tensor& zeroed = f.zero_();
  EXPECT_TRUE(zeroed.is_same(f));
  EXPECT_EQ(values<float>(f), floats({0, 0, 0, 0}));
  EXPECT_EQ(f._version(), v + 1);
}

TEST_P(CopyTest, FillOfAViewTouchesOnlyTheView) {
  Tensor x = zeros({3, 3}, options(kInt64));
  x.select(1, 1).fill_(4);
  EXPECT_EQ(values<int64_t>(x), longs({0, 4, 0, 0, 4, 0, 0, 4, 0}));
  x.slice(0, 0, 3, 2).zero_();
  x.slice(1, 2).fill_(9);
  EXPECT_EQ(values<int64_t>(x), longs({0, 0, 9, 0, 4, 9, 0, 0, 9}));
}

TEST_P(CopyTest, FillIntegerTensorWithAFloatTruncates) {
  // torch.zeros(3, dtype=torch.long).fill_(2.5) -> [2, 2, 2]; .fill_(-2.7) -> [-2, -2, -2]
  Tensor i = zeros({3}, options(kInt64));
  i.fill_(2.5);
  EXPECT_EQ(values<int64_t>(i), longs({2, 2, 2}));
  i.fill_(-2.7);
  EXPECT_EQ(values<int64_t>(i), longs({-2, -2, -2}));
  // torch.zeros(3, dtype=torch.bool).fill_(0.5) -> [True, True, True]
  Tensor b = zeros({3}, options(kBool));
  b.fill_(0.5);
  EXPECT_EQ(values<bool>(b), bools({true, true, true}));
}

TEST_P(CopyTest, FillWithAValueThatOverflowsIsAnError) {
  // torch.zeros(3, dtype=torch.uint8).fill_(300): "value cannot be converted to type uint8_t
  // without overflow"
  Tensor u = zeros({3}, options(kUInt8));
  EXPECT_AXON_ERROR(u.fill_(300), "overflow");
  EXPECT_AXON_ERROR(u.fill_(256), "overflow");
  // torch.zeros(3, dtype=torch.long).fill_(1e30): "value cannot be converted to type int64_t
  // without overflow"
  EXPECT_AXON_ERROR(zeros({3}, options(kInt64)).fill_(1e30), "overflow");
}

TEST_P(CopyTest, FillUInt8WithANegativeIntegerWrapsLikePyTorch) {
  // PyTorch's overflow check lets an integer into uint8 when |value| <= 255, then wraps it:
  // torch.zeros(1, dtype=torch.uint8).fill_(-1) -> [255]; .fill_(-255) -> [1];
  // .fill_(-256): "value cannot be converted to type uint8_t without overflow"
  Tensor u = zeros({1}, options(kUInt8));
  u.fill_(-1);
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{255}));
  u.fill_(-255);
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{1}));
  EXPECT_AXON_ERROR(u.fill_(-256), "overflow");
}

// ============================================================================================
// to(...)
// ============================================================================================

TEST_P(CopyTest, ToSameDTypeReturnsTheSameTensor) {
  Tensor x = ones({2}, options());
  // a.to(torch.float32) is a -> True; a.to(torch.float32, copy=True) is a -> False
  EXPECT_TRUE(x.to(kFloat32).is_same(x));
  Tensor copied = x.to(kFloat32, /*non_blocking=*/false, /*copy=*/true);
  EXPECT_FALSE(copied.is_same(x));
  EXPECT_FALSE(copied.storage() == x.storage());
  EXPECT_EQ(values<float>(copied), floats({1, 1}));
  copied.fill_(3);
  EXPECT_EQ(values<float>(x), floats({1, 1}));
}

TEST_P(CopyTest, ToDType) {
  Tensor x = make({1.75, -1.75, 0.5}, kFloat32);
  Tensor d = x.to(kFloat64);
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(d.device(), device());
  EXPECT_EQ(values<double>(d), (std::vector<double>{1.75, -1.75, 0.5}));
  // torch.tensor([1.75, -1.75, 0.5]).to(torch.int64) -> [1, -1, 0]
  EXPECT_EQ(values<int64_t>(x.to(kInt64)), longs({1, -1, 0}));
  EXPECT_EQ(values<bool>(x.to(kBool)), bools({true, true, true}));
  // A non-contiguous source converts in logical order.
  EXPECT_EQ(values<double>(iota({2, 3}).t().to(kFloat64)), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_FALSE(x.to(device(), kFloat64).is_same(x));
  EXPECT_TRUE(x.to(device(), kFloat32).is_same(x));
}

TEST_P(CopyTest, ToOptionsAndToOther) {
  Tensor x = make({1, 2}, kInt64);
  Tensor f = x.to(TensorOptions().dtype(kFloat64));
  EXPECT_EQ(f.dtype(), kFloat64);
  EXPECT_EQ(values<double>(f), (std::vector<double>{1, 2}));
  // Options without a dtype keep it.
  EXPECT_TRUE(x.to(TensorOptions(device())).is_same(x));
  EXPECT_FALSE(x.to(TensorOptions(device()), false, /*copy=*/true).is_same(x));
  // to(other) takes other's dtype and device; a.to(a) is a -> True
  Tensor like = zeros({5}, options(kFloat32));
  Tensor y = x.to(like);
  EXPECT_EQ(y.dtype(), kFloat32);
  EXPECT_EQ(y.device(), device());
  EXPECT_EQ(values<float>(y), floats({1, 2}));
  EXPECT_TRUE(x.to(x).is_same(x));
  EXPECT_AXON_ERROR(x.to(TensorOptions().requires_grad(true)),
                    "to: options must not set requires_grad");
}

TEST_P(CopyTest, ToIntegerDTypeOfATensorThatRequiresGrad) {
  // x = torch.ones(2, requires_grad=True); x.to(torch.long) -> tensor([1, 1]) with
  // requires_grad=False: the conversion is allowed and simply leaves the graph.
  Tensor x = ones({2}, options().requires_grad(true));
  Tensor i = x.to(kInt64);
  EXPECT_EQ(values<int64_t>(i), longs({1, 1}));
  EXPECT_FALSE(i.requires_grad());
  EXPECT_FALSE((x * 2).to(kInt64).requires_grad());
  // A float conversion stays in the graph.
  EXPECT_TRUE(x.to(kFloat64).requires_grad());
}

TEST_P(CopyTest, FloatToIntegerConversionsOfOutOfRangeValues) {
  // torch.tensor([-1.7, 2.9, -0.2, 300.5]).to(torch.int64) -> [-1, 2, 0, 300]
  Tensor x = make({-1.7, 2.9, -0.2, 300.5}, kFloat32);
  EXPECT_EQ(values<int64_t>(x.to(kInt64)), longs({-1, 2, 0, 300}));
  // torch.tensor([-1.7, 2.9, -0.2, 300.5]).to(torch.uint8) -> [255, 2, 0, 44] (through int64,
  // then wrapped modulo 256, as PyTorch's CPU kernel does)
  EXPECT_EQ(values<uint8_t>(x.to(kUInt8)), (std::vector<uint8_t>{255, 2, 0, 44}));
  // torch.tensor([1e10], dtype=torch.float64).to(torch.int64) -> [10000000000]
  EXPECT_EQ(values<int64_t>(make({1e10}, kFloat64).to(kInt64)), longs({10000000000}));
  // torch.tensor([1e300, -1e300], dtype=torch.float64).to(torch.float32) -> [inf, -inf]
  std::vector<float> narrowed = values<float>(make({1e300, -1e300}, kFloat64).to(kFloat32));
  EXPECT_EQ(narrowed[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(narrowed[1], -std::numeric_limits<float>::infinity());
}

TEST_P(CopyTest, FloatToIntegerConversionsOfNonFiniteValuesDoNotCrash) {
  // C++ and PyTorch leave these undefined; axon must still produce some value of the dtype.
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = make({std::numeric_limits<double>::quiet_NaN(), inf, -inf, 1e20, -1e20}, kFloat32);
  Tensor i = x.to(kInt64);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.sizes().vec(), (Shape{5}));
  Tensor u = x.to(kUInt8);
  EXPECT_EQ(u.dtype(), kUInt8);
  EXPECT_EQ(values<uint8_t>(u).size(), 5u);
  Tensor dst = zeros({5}, options(kInt64));
  dst.copy_(x);
  EXPECT_EQ(values<int64_t>(dst).size(), 5u);
}

// ============================================================================================
// Printing bool tensors
// ============================================================================================

TEST_P(CopyTest, BoolTensorsPrintTheirValues) {
  // print(torch.tensor([True, False]))
  EXPECT_EQ(make({true, false}, kBool).cpu().toString(), "tensor([ True, False])");
  // print(torch.tensor([[True], [False]]))
  EXPECT_EQ(make({{true}, {false}}, kBool).cpu().toString(), "tensor([[ True],\n        [False]])");
  // print(torch.tensor(True))
  EXPECT_EQ(make(true, kBool).cpu().toString(), "tensor(True)");
  // print(torch.zeros(0, dtype=torch.bool)) -> tensor([], dtype=torch.bool); axon names its
  // own module in the dtype.
  EXPECT_EQ(zeros({0}, options(kBool)).cpu().toString(), "tensor([], dtype=axon.bool)");
  // print(torch.tensor([1, 2, 3]) > 1)
  EXPECT_EQ((make({1, 2, 3}, kInt64) > 1).cpu().toString(), "tensor([False,  True,  True])");
  // print(torch.tensor([True, False, True]).float())
  EXPECT_EQ(make({true, false, true}, kBool).to(kFloat32).cpu().toString(), "tensor([1., 0., 1.])");
}

AXON_INSTANTIATE_DEVICE_TEST(CopyTest);

}  // namespace
}  // namespace axon
