// Joining and splitting (functions.h, "joins and splits"): cat, stack, split, chunk, unbind.
//
// Values come from arange, so every expected element is a small integer; shapes and error
// messages were printed by PyTorch 1.13 (/usr/bin/python3), the torch expression beside them.
#include <cstdint>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::longs;
using testing::Shape;
using testing::values;

std::vector<Shape> shapes(const std::vector<Tensor>& tensors) {
  std::vector<Shape> out;
  for (const Tensor& t : tensors) out.push_back(t.sizes().vec());
  return out;
}

class JoinTest : public testing::DeviceTest {};

// ============================================================================================
// cat
// ============================================================================================

TEST_P(JoinTest, CatAlongDimZero) {
  Tensor a = iota({2, 3});
  Tensor b = iota({1, 3}, 100);
  Tensor c = cat({a, b});
  EXPECT_EQ(c.sizes().vec(), (Shape{3, 3}));
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.device(), device());
  EXPECT_EQ(values<int64_t>(c), longs({0, 1, 2, 3, 4, 5, 100, 101, 102}));
  // The result is a copy, not a view of the inputs.
  c[0][0] = -1;
  EXPECT_EQ(a[0][0].item<int64_t>(), 0);
}

TEST_P(JoinTest, CatAlongInnerAndNegativeDims) {
  Tensor a = iota({2, 3});
  Tensor b = iota({2, 2}, 100);
  // torch.cat([a, b], 1) -> [[0, 1, 2, 100, 101], [3, 4, 5, 102, 103]]
  Tensor c = cat({a, b}, 1);
  EXPECT_EQ(c.sizes().vec(), (Shape{2, 5}));
  EXPECT_EQ(values<int64_t>(c), longs({0, 1, 2, 100, 101, 3, 4, 5, 102, 103}));
  EXPECT_EQ(values<int64_t>(cat({a, b}, -1)), values<int64_t>(c));
  // Three inputs, a 3-D middle dim.
  Tensor x = iota({2, 1, 2});
  Tensor y = cat({x, x, x}, 1);
  EXPECT_EQ(y.sizes().vec(), (Shape{2, 3, 2}));
  EXPECT_EQ(values<int64_t>(y), longs({0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3}));
}

TEST_P(JoinTest, CatOfNonContiguousInputs) {
  Tensor a = iota({3, 2}).t();  // [[0, 2, 4], [1, 3, 5]]
  Tensor b = iota({2, 3}, 10);
  EXPECT_EQ(values<int64_t>(cat({a, b})), longs({0, 2, 4, 1, 3, 5, 10, 11, 12, 13, 14, 15}));
}

TEST_P(JoinTest, CatPromotesDTypes) {
  // torch.cat([torch.tensor([1, 2]), torch.tensor([1.5])]).dtype -> float32
  Tensor c = cat({tensor({1, 2}, options(kInt64)), tensor({1.5}, options(kFloat32))});
  EXPECT_EQ(c.dtype(), kFloat32);
  EXPECT_EQ(values<float>(c), (std::vector<float>{1, 2, 1.5f}));
  // torch.cat([torch.tensor([True]), torch.tensor([2], dtype=torch.uint8)]).dtype -> uint8
  Tensor u = cat({tensor({true}, options(kBool)), tensor({2}, options(kUInt8))});
  EXPECT_EQ(u.dtype(), kUInt8);
  EXPECT_EQ(values<uint8_t>(u), (std::vector<uint8_t>{1, 2}));
  Tensor d = cat({tensor({3}, options(kInt64)), tensor({0.25}, options(kFloat64))});
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(values<double>(d), (std::vector<double>{3, 0.25}));
}

TEST_P(JoinTest, CatSkipsLegacyEmptyTensors) {
  Tensor a = iota({2, 3});
  Tensor none = empty({0}, options(kInt64));
  // torch.cat([torch.ones(2, 3), torch.ones(0)], 1).shape -> [2, 3]
  Tensor c = cat({a, none}, 1);
  EXPECT_EQ(c.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values<int64_t>(c), values<int64_t>(a));
  EXPECT_EQ(values<int64_t>(cat({none, a, none})), values<int64_t>(a));
  // torch.cat([torch.zeros(0), torch.zeros(0)]).shape -> [0]
  EXPECT_EQ(cat({none, none}).sizes().vec(), (Shape{0}));
}

TEST_P(JoinTest, CatSizeMismatchUsesPyTorchsMessage) {
  // torch.cat([torch.ones(2, 3), torch.ones(3, 2)])
  EXPECT_AXON_ERROR(cat({ones({2, 3}, options()), ones({3, 2}, options())}),
                    "Sizes of tensors must match except in dimension 0. Expected size 3 but got "
                    "size 2 for tensor number 1 in the list.");
  EXPECT_AXON_ERROR(
      cat({ones({2, 3}, options()), ones({2, 3}, options()), ones({2, 4}, options())}),
      "Expected size 3 but got size 4 for tensor number 2 in the list.");
  // torch.cat([torch.ones(2, 3), torch.ones(3)]): "Tensors must have same number of dimensions:
  // got 2 and 1"
  EXPECT_AXON_ERROR(cat({ones({2, 3}, options()), ones({3}, options())}),
                    "same number of dimensions: got 2 and 1");
}

TEST_P(JoinTest, CatErrors) {
  // torch.cat([]): "torch.cat(): expected a non-empty list of Tensors"
  EXPECT_AXON_ERROR(cat(std::vector<Tensor>{}), "cat(): expected a non-empty list of Tensors");
  // torch.cat([torch.tensor(1.), torch.tensor(2.)]): "zero-dimensional tensor (at position 0)
  // cannot be concatenated"
  EXPECT_AXON_ERROR(cat({tensor(1.0, options()), tensor(2.0, options())}),
                    "zero-dimensional tensor (at position 0) cannot be concatenated");
  // torch.cat([torch.ones(2, 3)], 2): "Dimension out of range (expected to be in range of
  // [-2, 1], but got 2)"
  EXPECT_AXON_ERROR(cat({ones({2, 3}, options())}, 2),
                    "dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_AXON_ERROR(cat({ones({2}, options()), Tensor()}),
                    "cat(): tensor 1 in the list is undefined");
}

// ============================================================================================
// stack
// ============================================================================================

TEST_P(JoinTest, Stack) {
  Tensor a = iota({2, 3});
  Tensor b = iota({2, 3}, 10);
  Tensor s0 = stack({a, b});
  EXPECT_EQ(s0.sizes().vec(), (Shape{2, 2, 3}));
  EXPECT_EQ(values<int64_t>(s0), longs({0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}));
  // torch.stack([a, b], 2): s[i][j][k] = (a, b)[k][i][j]
  Tensor s2 = stack({a, b}, 2);
  EXPECT_EQ(s2.sizes().vec(), (Shape{2, 3, 2}));
  EXPECT_EQ(values<int64_t>(s2), longs({0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  EXPECT_EQ(values<int64_t>(stack({a, b}, -1)), values<int64_t>(s2));
  Tensor s1 = stack({a, b}, 1);
  EXPECT_EQ(s1.sizes().vec(), (Shape{2, 2, 3}));
  EXPECT_EQ(values<int64_t>(s1), longs({0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}));
  // torch.stack([torch.tensor(1), torch.tensor(2)]) -> tensor([1, 2])
  Tensor scalars = stack({tensor(1, options(kInt64)), tensor(2, options(kInt64))});
  EXPECT_EQ(values<int64_t>(scalars), longs({1, 2}));
}

TEST_P(JoinTest, StackErrors) {
  // torch.stack([torch.ones(2), torch.ones(3)]): "stack expects each tensor to be equal size,
  // but got [2] at entry 0 and [3] at entry 1"
  EXPECT_AXON_ERROR(stack({ones({2}, options()), ones({3}, options())}),
                    "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] "
                    "at entry 1");
  // torch.stack([torch.ones(2), torch.ones(2)], 2): "Dimension out of range (expected to be in
  // range of [-2, 1], but got 2)"
  EXPECT_AXON_ERROR(stack({ones({2}, options()), ones({2}, options())}, 2),
                    "dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_AXON_ERROR(stack(std::vector<Tensor>{}), "stack expects a non-empty TensorList");
}

// ============================================================================================
// split, chunk, unbind
// ============================================================================================

TEST_P(JoinTest, SplitBySize) {
  Tensor x = iota({10});
  std::vector<Tensor> parts = x.split(3);
  EXPECT_EQ(shapes(parts), (std::vector<Shape>{{3}, {3}, {3}, {1}}));
  EXPECT_EQ(values<int64_t>(parts[1]), longs({3, 4, 5}));
  EXPECT_EQ(values<int64_t>(parts[3]), longs({9}));
  // The parts are views.
  parts[2][0] = -6;
  EXPECT_EQ(x[6].item<int64_t>(), -6);
  // torch.ones(6).split(10) -> one piece of 6
  EXPECT_EQ(shapes(split(iota({6}), 10)), (std::vector<Shape>{{6}}));
  // Along dim 1.
  Tensor m = iota({2, 5});
  std::vector<Tensor> cols = m.split(2, 1);
  EXPECT_EQ(shapes(cols), (std::vector<Shape>{{2, 2}, {2, 2}, {2, 1}}));
  EXPECT_EQ(values<int64_t>(cols[1]), longs({2, 3, 7, 8}));
  EXPECT_EQ(shapes(m.split(2, -1)), shapes(cols));
}

TEST_P(JoinTest, SplitBySizeErrors) {
  // torch.ones(6).split(0): "split_size can only be 0 if dimension size is 0, but got dimension
  // size of 6"
  EXPECT_AXON_ERROR(iota({6}).split(0),
                    "split_size can only be 0 if dimension size is 0, but got dimension size of 6");
  EXPECT_AXON_ERROR(iota({6}).split(-2), "split_size=-2");
  EXPECT_AXON_ERROR(iota({6}).split(2, 1), "split: dimension out of range");
}

TEST_P(JoinTest, SplitWithSizes) {
  Tensor x = iota({10});
  std::vector<Tensor> parts = x.split(IntArrayRef({2, 3, 5}));
  EXPECT_EQ(shapes(parts), (std::vector<Shape>{{2}, {3}, {5}}));
  EXPECT_EQ(values<int64_t>(parts[1]), longs({2, 3, 4}));
  EXPECT_EQ(values<int64_t>(parts[2]), longs({5, 6, 7, 8, 9}));
  // torch.arange(10).split([0, 10]) -> [[], [0..9]]
  std::vector<Tensor> with_empty = split(x, IntArrayRef({0, 10}));
  EXPECT_EQ(shapes(with_empty), (std::vector<Shape>{{0}, {10}}));
  Tensor m = iota({2, 3});
  std::vector<Tensor> cols = split(m, IntArrayRef({1, 2}), 1);
  EXPECT_EQ(values<int64_t>(cols[0]), longs({0, 3}));
  EXPECT_EQ(values<int64_t>(cols[1]), longs({1, 2, 4, 5}));
}

TEST_P(JoinTest, SplitWithSizesErrors) {
  Tensor x = iota({5});
  // torch.ones(5).split([2, 2])
  EXPECT_AXON_ERROR(x.split(IntArrayRef({2, 2})),
                    "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size "
                    "at dimension 0), but got split_sizes=[2, 2]");
  // torch.ones(5).split([2, -1, 4])
  EXPECT_AXON_ERROR(x.split(IntArrayRef({2, -1, 4})),
                    "split_with_sizes expects split_sizes have only non-negative entries, but got "
                    "split_sizes=[2, -1, 4]");
}

TEST_P(JoinTest, ChunkIsUnevenAtTheEnd) {
  // torch.ones(7).chunk(3) -> sizes 3, 3, 1
  EXPECT_EQ(shapes(iota({7}).chunk(3)), (std::vector<Shape>{{3}, {3}, {1}}));
  // torch.ones(6).chunk(4) -> sizes 2, 2, 2 (fewer chunks than asked for)
  EXPECT_EQ(shapes(iota({6}).chunk(4)), (std::vector<Shape>{{2}, {2}, {2}}));
  // torch.ones(5).chunk(4) -> sizes 2, 2, 1
  EXPECT_EQ(shapes(iota({5}).chunk(4)), (std::vector<Shape>{{2}, {2}, {1}}));
  std::vector<Tensor> rows = iota({3, 4}).chunk(2, 1);
  EXPECT_EQ(shapes(rows), (std::vector<Shape>{{3, 2}, {3, 2}}));
  EXPECT_EQ(values<int64_t>(rows[1]), longs({2, 3, 6, 7, 10, 11}));
  EXPECT_EQ(values<int64_t>(chunk(iota({7}), 3)[2]), longs({6}));
  // torch.ones(6).chunk(0): "chunk expects `chunks` to be greater than 0, got: 0"
  EXPECT_AXON_ERROR(iota({6}).chunk(0), "chunk expects `chunks` to be greater than 0, got: 0");
}

TEST_P(JoinTest, Unbind) {
  Tensor x = iota({2, 3});
  std::vector<Tensor> rows = x.unbind();
  EXPECT_EQ(shapes(rows), (std::vector<Shape>{{3}, {3}}));
  EXPECT_EQ(values<int64_t>(rows[1]), longs({3, 4, 5}));
  std::vector<Tensor> cols = unbind(x, 1);
  EXPECT_EQ(shapes(cols), (std::vector<Shape>{{2}, {2}, {2}}));
  EXPECT_EQ(values<int64_t>(cols[2]), longs({2, 5}));
  EXPECT_EQ(values<int64_t>(x.unbind(-1)[0]), longs({0, 3}));
  cols[0][1] = 30;  // unbind gives views
  EXPECT_EQ(x[1][0].item<int64_t>(), 30);
  // torch.tensor(1.).unbind(): "Dimension specified as 0 but tensor has no dimensions"
  EXPECT_AXON_ERROR(tensor(1.0, options()).unbind(),
                    "Dimension specified as 0 but tensor has no dimensions");
  EXPECT_AXON_ERROR(x.unbind(2), "unbind: dimension out of range");
}

AXON_INSTANTIATE_DEVICE_TEST(JoinTest);

}  // namespace
}  // namespace axon
