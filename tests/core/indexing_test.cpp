// Indexing (indexing.h): t[i], index({...}) with integers, Slice, None, Ellipsis and booleans,
// index_put_, assignment through temporaries (t[0] = 5), and the version counter on writes.
//
// Values come from arange, so every expected element is a small integer; the matching Python
// expression is in the comment above each check (PyTorch 1.13).
#include <cstdint>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using namespace axon::indexing;  // NOLINT(google-build-using-namespace): LibTorch's spelling
using testing::floats;
using testing::longs;
using testing::Shape;
using testing::values;

class IndexingTest : public testing::DeviceTest {};

// ============================================================================================
// Reading
// ============================================================================================

TEST_P(IndexingTest, SquareBracketsSelectAlongTheFirstDim) {
  Tensor x = iota({3, 4});
  EXPECT_EQ(x[1].sizes().vec(), (Shape{4}));
  EXPECT_EQ(values<int64_t>(x[1]), longs({4, 5, 6, 7}));
  // x[-1] -> [8, 9, 10, 11]
  EXPECT_EQ(values<int64_t>(x[-1]), longs({8, 9, 10, 11}));
  EXPECT_EQ(x[1][2].dim(), 0);
  EXPECT_EQ(x[1][2].item<int64_t>(), 6);
  EXPECT_EQ(x[-1][-1].item<int64_t>(), 11);
  EXPECT_EQ(x[2].storage(), x.storage());
  EXPECT_AXON_ERROR(x[3], "select(): index 3 out of range for tensor of size [3, 4]");
  EXPECT_AXON_ERROR(x[0][4], "select(): index 4 out of range for tensor of size [4]");
}

TEST_P(IndexingTest, IntegersAndFullSlices) {
  Tensor x = iota({3, 4});
  // x[:, 2] -> [2, 6, 10]
  EXPECT_EQ(values<int64_t>(x.index({Slice(), 2})), longs({2, 6, 10}));
  // x[1, :] -> [4, 5, 6, 7]
  EXPECT_EQ(values<int64_t>(x.index({1, Slice()})), longs({4, 5, 6, 7}));
  // x[1, 2] is 0-d
  Tensor one = x.index({1, 2});
  EXPECT_EQ(one.dim(), 0);
  EXPECT_EQ(one.item<int64_t>(), 6);
  // x[-1, -2] -> 10
  EXPECT_EQ(x.index({-1, -2}).item<int64_t>(), 10);
  // x[int64 index]
  EXPECT_EQ(values<int64_t>(x.index({int64_t{2}})), longs({8, 9, 10, 11}));
  EXPECT_EQ(x.index({Slice(), -1}).storage(), x.storage());
}

TEST_P(IndexingTest, SlicesWithStartStopAndStep) {
  Tensor x = iota({10});
  // x[1::2] -> [1, 3, 5, 7, 9]
  EXPECT_EQ(values<int64_t>(x.index({Slice(1, None, 2)})), longs({1, 3, 5, 7, 9}));
  // x[:3] -> [0, 1, 2]
  EXPECT_EQ(values<int64_t>(x.index({Slice(None, 3)})), longs({0, 1, 2}));
  // x[:-1] has 9 elements; x[-3:] -> [7, 8, 9]
  EXPECT_EQ(x.index({Slice(None, -1)}).numel(), 9);
  EXPECT_EQ(values<int64_t>(x.index({Slice(-3, None)})), longs({7, 8, 9}));
  // x[2:100] clamps -> 2..9; x[8:2] -> empty
  EXPECT_EQ(x.index({Slice(2, 100)}).numel(), 8);
  EXPECT_EQ(x.index({Slice(8, 2)}).numel(), 0);
  // x[::3] -> [0, 3, 6, 9]
  EXPECT_EQ(values<int64_t>(x.index({Slice(None, None, 3)})), longs({0, 3, 6, 9}));
  Tensor y = iota({4, 3});
  // y[::2, 1:] -> [[1, 2], [7, 8]]
  EXPECT_EQ(values<int64_t>(y.index({Slice(None, None, 2), Slice(1, None)})), longs({1, 2, 7, 8}));
}

TEST_P(IndexingTest, NoneInsertsADim) {
  Tensor x = iota({3, 4});
  // x[None].shape -> [1, 3, 4]; x[:, None].shape -> [3, 1, 4]
  EXPECT_EQ(x.index({None}).sizes().vec(), (Shape{1, 3, 4}));
  EXPECT_EQ(x.index({Slice(), None}).sizes().vec(), (Shape{3, 1, 4}));
  // x[None, ..., None].shape -> [1, 3, 4, 1]
  EXPECT_EQ(x.index({None, Ellipsis, None}).sizes().vec(), (Shape{1, 3, 4, 1}));
  // x[1, None] -> shape [1, 4], values [4, 5, 6, 7]
  Tensor r = x.index({1, None});
  EXPECT_EQ(r.sizes().vec(), (Shape{1, 4}));
  EXPECT_EQ(values<int64_t>(r), longs({4, 5, 6, 7}));
}

TEST_P(IndexingTest, EllipsisStandsForTheRemainingDims) {
  Tensor y = iota({2, 3, 4});
  // y[..., 1] -> [[1, 5, 9], [13, 17, 21]]
  Tensor last = y.index({Ellipsis, 1});
  EXPECT_EQ(last.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values<int64_t>(last), longs({1, 5, 9, 13, 17, 21}));
  // y[1, ...] -> shape [3, 4]
  EXPECT_EQ(y.index({1, Ellipsis}).sizes().vec(), (Shape{3, 4}));
  EXPECT_EQ(y.index({Ellipsis}).sizes().vec(), (Shape{2, 3, 4}));
  // y[0, ..., 1] -> [1, 5, 9]
  EXPECT_EQ(values<int64_t>(y.index({0, Ellipsis, 1})), longs({1, 5, 9}));
  // y[..., 0, 0, 0] -> tensor(0): the ellipsis may stand for no dims
  Tensor zero_d = y.index({Ellipsis, 0, 0, 0});
  EXPECT_EQ(zero_d.dim(), 0);
  EXPECT_EQ(zero_d.item<int64_t>(), 0);
  // y[..., None].shape -> [2, 3, 4, 1]
  EXPECT_EQ(y.index({Ellipsis, None}).sizes().vec(), (Shape{2, 3, 4, 1}));
}

TEST_P(IndexingTest, NegativeIntegersCountFromTheEnd) {
  Tensor y = iota({2, 3, 4});
  // y[-1, -2, -3] -> 17
  EXPECT_EQ(y.index({-1, -2, -3}).item<int64_t>(), 17);
  EXPECT_EQ(values<int64_t>(y.index({Slice(), -1, -1})), longs({11, 23}));
}

TEST_P(IndexingTest, BooleansAddADimOfSizeOneOrZero) {
  Tensor x = iota({3, 4});
  // x[True].shape -> [1, 3, 4]; x[False].shape -> [0, 3, 4]
  EXPECT_EQ(x.index({true}).sizes().vec(), (Shape{1, 3, 4}));
  EXPECT_EQ(x.index({false}).sizes().vec(), (Shape{0, 3, 4}));
}

TEST_P(IndexingTest, TooManyIndicesIsAnError) {
  Tensor x = iota({3, 4});
  // x[0, 0, 0]: "too many indices for tensor of dimension 2"
  EXPECT_AXON_ERROR(x.index({0, 0, 0}), "too many indices for tensor of dimension 2");
  EXPECT_AXON_ERROR(x.index({Slice(), 0, Slice()}), "too many indices for tensor of dimension 2");
  EXPECT_AXON_ERROR(x.index({Ellipsis, 0, 0, 0}), "too many indices for tensor of dimension 2");
}

TEST_P(IndexingTest, TwoEllipsesIsAnError) {
  Tensor x = iota({3, 4});
  // NumPy: "an index can only have a single ellipsis ('...')"
  EXPECT_AXON_ERROR(x.index({Ellipsis, Ellipsis}), "an index can only have a single ellipsis");
  EXPECT_AXON_ERROR(x.index({Ellipsis, 0, Ellipsis}), "index");
}

TEST_P(IndexingTest, OutOfRangeIntegerIsAnError) {
  Tensor x = iota({3, 4});
  EXPECT_AXON_ERROR(x.index({Slice(), 4}), "select(): index 4 out of range");
  EXPECT_AXON_ERROR(x.index({-4}), "select(): index -4 out of range");
}

// ============================================================================================
// Writing
// ============================================================================================

TEST_P(IndexingTest, IndexPutScalar) {
  Tensor x = iota({3, 4});
  // x[:, 0] = -1
  const Tensor& same = x.index_put_({Slice(), 0}, -1);
  EXPECT_TRUE(same.is_same(x));
  EXPECT_EQ(values<int64_t>(x), longs({-1, 1, 2, 3, -1, 5, 6, 7, -1, 9, 10, 11}));
  // x[1:, 2:] = 0
  x.index_put_({Slice(1, None), Slice(2, None)}, 0);
  EXPECT_EQ(values<int64_t>(x), longs({-1, 1, 2, 3, -1, 5, 0, 0, -1, 9, 0, 0}));
  // f[..., -1] = 1.5 on a float tensor
  Tensor f = zeros({2, 2}, options());
  f.index_put_({Ellipsis, -1}, 1.5);
  EXPECT_EQ(values<float>(f), floats({0, 1.5f, 0, 1.5f}));
}

TEST_P(IndexingTest, IndexPutTensorBroadcasts) {
  Tensor z = zeros({3, 4}, options());
  // z[1:] = torch.tensor([1, 2, 3, 4]) (the int64 row is converted and broadcast)
  z.index_put_({Slice(1, None)}, tensor({1, 2, 3, 4}, options(kInt64)));
  EXPECT_EQ(values<float>(z), floats({0, 0, 0, 0, 1, 2, 3, 4, 1, 2, 3, 4}));
  // z[:, 0] = torch.tensor([7., 8., 9.])
  z.index_put_({Slice(), 0}, tensor({7.0, 8.0, 9.0}, options()));
  EXPECT_EQ(values<float>(z), floats({7, 0, 0, 0, 8, 2, 3, 4, 9, 2, 3, 4}));
  // z[0] = torch.tensor(5.) (0-d)
  z.index_put_({0}, tensor(5.0, options()));
  EXPECT_EQ(values<float>(z[0]), floats({5, 5, 5, 5}));
}

TEST_P(IndexingTest, IndexPutWithIncompatibleShapeIsAnError) {
  Tensor z = zeros({3, 4}, options());
  // z[1:] = torch.ones(3): "The size of tensor a (4) must match the size of tensor b (3) at
  // non-singleton dimension 1"
  EXPECT_AXON_ERROR(z.index_put_({Slice(1, None)}, ones({3}, options())),
                    "The size of tensor a (4) must match the size of tensor b (3) at "
                    "non-singleton dimension 1");
}

TEST_P(IndexingTest, AssigningToATemporaryWritesItsElements) {
  Tensor x = zeros({2, 3}, options());
  x[0] = 5;  // x[0] = 5
  EXPECT_EQ(values<float>(x), floats({5, 5, 5, 0, 0, 0}));
  x[1][2] = 2.5;  // x[1][2] = 2.5
  EXPECT_EQ(values<float>(x), floats({5, 5, 5, 0, 0, 2.5f}));
  // x[:, 0] = other
  Tensor other = tensor({-1.0, -2.0}, options());
  x.index({Slice(), 0}) = other;
  EXPECT_EQ(values<float>(x), floats({-1, 5, 5, -2, 0, 2.5f}));
  // x[:, 1:] = [10, 20] (broadcast over rows)
  x.index({Slice(), Slice(1, None)}) = tensor({10.0, 20.0}, options());
  EXPECT_EQ(values<float>(x), floats({-1, 10, 20, -2, 10, 20}));
}

TEST_P(IndexingTest, AssigningToANamedTensorRebindsIt) {
  Tensor x = zeros({2, 3}, options());
  Tensor row = x[0];
  row = ones({3}, options());  // rebinds `row`, as in LibTorch; x is untouched
  EXPECT_EQ(values<float>(x), floats({0, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(row.storage() == x.storage());
}

TEST_P(IndexingTest, WritesBumpTheVersion) {
  // z = torch.zeros(3, 4): z._version is 0, and each write below adds 1.
  Tensor z = zeros({3, 4}, options());
  uint32_t v0 = z._version();
  z[0] = 5;
  EXPECT_EQ(z._version(), v0 + 1);
  z.index_put_({Slice(), 0}, tensor(1.0, options()));
  EXPECT_EQ(z._version(), v0 + 2);
  z.index_put_({1, 1}, 3);
  EXPECT_EQ(z._version(), v0 + 3);
  // Views share the counter: a write through one shows in the base and in other views.
  Tensor view = z[1];
  view.fill_(2);
  EXPECT_EQ(z._version(), v0 + 4);
  EXPECT_EQ(view._version(), z._version());
  z.index({Slice(), 2}) = ones({3}, options());
  EXPECT_EQ(view._version(), v0 + 5);
  // Reading does not.
  Tensor read = z.index({Slice(1, None), 0});
  EXPECT_EQ(z._version(), v0 + 5);
  EXPECT_EQ(read._version(), v0 + 5);
}

AXON_INSTANTIATE_DEVICE_TEST(IndexingTest);

}  // namespace
}  // namespace axon
