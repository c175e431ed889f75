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

// ============================================================================================
// index_select
// ============================================================================================

// Each case against the same rows taken one by one with select and stacked, which is what
// index_select means (torch.index_select(x, d, idx)[..., j, ...] == x.select(d, idx[j])).
TEST_P(IndexingTest, IndexSelectTakesTheIndexedEntriesAlongADim) {
  const Tensor x = iota({3, 4, 2});
  struct Case {
    int64_t dim;
    std::vector<int64_t> index;
  };
  for (const Case& c :
       {Case{0, {2, 0, 2, 1}}, Case{1, {3, 3, 0}}, Case{-1, {1, 0}}, Case{2, {1}}, Case{1, {}}}) {
    SCOPED_TRACE(::testing::Message() << "dim " << c.dim << ", index of " << c.index.size());
    std::vector<Tensor> rows;
    for (int64_t i : c.index) rows.push_back(x.select(c.dim, i));
    const int64_t d = c.dim < 0 ? c.dim + 3 : c.dim;
    DimVector shape(x.sizes());
    shape[static_cast<size_t>(d)] = static_cast<int64_t>(c.index.size());
    const Tensor got = x.index_select(c.dim, make(TensorData(c.index), kInt64));
    EXPECT_EQ(got.sizes().vec(), shape.vec());
    EXPECT_EQ(got.device(), device());
    if (!rows.empty()) {
      EXPECT_EQ(values<int64_t>(got), values<int64_t>(stack(rows, d)));
    }
  }
  // A 0-d index keeps the dim, with size 1: y.index_select(1, torch.tensor(2)) -> [[2.], [5.]]
  const Tensor y = iota({2, 3}).to(kFloat32);
  EXPECT_EQ(y.index_select(1, make(2, kInt64)).sizes().vec(), (Shape{2, 1}));
  EXPECT_EQ(values<float>(index_select(y, 1, make(2, kInt64))), floats({2, 5}));
  // Every dtype, and a non-contiguous source.
  const Tensor flags = make({true, false, true}, kBool);
  EXPECT_EQ(values<bool>(flags.index_select(0, make({2, 1, 1}, kInt64))),
            (std::vector<bool>{true, false, false}));
  const Tensor bytes = make({{7, 8}, {9, 250}}, kUInt8);
  EXPECT_EQ(values<uint8_t>(bytes.index_select(1, make({1}, kInt64))),
            (std::vector<uint8_t>{8, 250}));
  const Tensor t = iota({3, 4}).t().to(kFloat64);  // [4, 3], strides (1, 4)
  EXPECT_EQ(values<double>(t.index_select(0, make({3, 0}, kInt64))),
            (std::vector<double>{3, 7, 11, 0, 4, 8}));
  // A 0-d tensor takes [0] along dim 0 and stays 0-d: torch.tensor(5.).index_select(0, [0]).
  const Tensor five = make(5.0);
  EXPECT_EQ(five.index_select(0, make({0}, kInt64)).dim(), 0);
  EXPECT_EQ(five.index_select(-1, make(0, kInt64)).item<float>(), 5.0F);
}

TEST_P(IndexingTest, IndexSelectRejectsBadIndices) {
  const Tensor y = iota({2, 3});
  EXPECT_AXON_ERROR(y.index_select(0, make({0.0}, kFloat32)),
                    "index_select: expected an int64 index, got float32");
  EXPECT_AXON_ERROR(y.index_select(0, make({{0}}, kInt64)),
                    "index_select: the index must be 0-d or 1-d, got shape [1, 1]");
  EXPECT_AXON_ERROR(y.index_select(2, make({0}, kInt64)), "index_select");
  EXPECT_AXON_ERROR(make(5.0).index_select(0, make({0, 0}, kInt64)),
                    "index_select: a 0-d tensor takes an index of one element, got 2");
  EXPECT_AXON_ERROR(index_select(Tensor(), 0, make({0}, kInt64)), "index_select");
  // Out of range, negative included (PyTorch: "index out of range in self"). On a GPU the check
  // runs on the device and the error comes at the next synchronisation, here the copy back.
  EXPECT_AXON_ERROR(y.index_select(0, make({0, 2}, kInt64)).cpu(),
                    "index_select: index 2 is out of range for dim 0 of size 2");
  EXPECT_AXON_ERROR(y.index_select(1, make({-1}, kInt64)).cpu(),
                    "index_select: index -1 is out of range for dim 1 of size 3");
  if (device().is_cuda()) {
    // A CPU index selects from a GPU tensor, its values checked at once; a GPU index cannot
    // select from a CPU tensor.
    EXPECT_EQ(values<int64_t>(y.index_select(1, ref({2, 0}, kInt64))), longs({2, 0, 5, 3}));
    EXPECT_AXON_ERROR(y.index_select(0, ref({5}, kInt64)),
                      "index_select: index 5 is out of range for dim 0 of size 2");
    EXPECT_AXON_ERROR(y.cpu().index_select(0, make({0}, kInt64)), "same device");
  }
}

TEST_P(IndexingTest, IndexSelectGradientAddsIntoTheSelectedRows) {
  // Repeated indices add: x.index_select(1, [2, 0, 2]).sum().backward() -> x.grad rows [1, 0, 2].
  const Tensor x = make({{0.5, 1.5, 2.5}, {3.5, 4.5, 5.5}}, kFloat64).requires_grad_();
  const Tensor idx = make({2, 0, 2}, kInt64);
  const Tensor y = x.index_select(1, idx);
  EXPECT_EQ(y.grad_fn()->name(), "IndexSelectBackward0");
  (y * make({{1, 2, 3}, {4, 5, 6}}, kFloat64)).sum().backward();
  EXPECT_EQ(values<double>(x.grad()), (std::vector<double>{2, 0, 4, 5, 0, 10}));
  // Rows long enough for the CPU kernel to split their columns over threads: each element still
  // sums its rows' gradients, row 2 three of them.
  const Tensor wide = zeros({3, 20000}, options(kFloat64)).requires_grad_();
  const Tensor weights = rand({4, 20000}, options(kFloat64));
  (wide.index_select(0, make({2, 0, 2, 2}, kInt64)) * weights).sum().backward();
  EXPECT_TRUE(allclose(wide.grad()[2], weights[0] + weights[2] + weights[3], 1e-12, 0));
  EXPECT_TRUE(wide.grad()[0].equal(weights[1]));
  EXPECT_TRUE(wide.grad()[1].equal(zeros({20000}, options(kFloat64))));
  // Against central differences, first and second order, along each dim and for a 0-d input.
  auto check = [&](const Tensor& input, int64_t dim, const Tensor& index) {
    auto f = [&](const variable_list& v) { return v[0].index_select(dim, index); };
    EXPECT_TRUE(gradcheck(f, {input}));
    const Tensor grad_out = (rand_like(f({input})) * 2 - 1).detach().requires_grad_();
    auto first_order = [&](const variable_list& v) {
      AutoGradMode enable_grad(true);
      return autograd::grad({f({v[0]})}, {v[0]}, {v[1]}, true, true);
    };
    EXPECT_TRUE(gradcheck(first_order, {input, grad_out}));
  };
  const Tensor x3 = iota({3, 2, 4}).to(kFloat64).div(7).requires_grad_();
  check(x3, 0, make({1, 1, 0, 2}, kInt64));
  check(x3, 2, make({3, 0}, kInt64));
  check(make(0.25, kFloat64).requires_grad_(), 0, make({0}, kInt64));
}

AXON_INSTANTIATE_DEVICE_TEST(IndexingTest);

}  // namespace
}  // namespace axon
