// View ops (functions.h, "Views"): view/reshape, flatten, squeeze/unsqueeze, transpose/t/permute,
// select/slice/narrow, expand, and contiguous/clone/detach.
//
// Values come from arange, so every expected element is a small integer; strides and error
// messages were printed by PyTorch 1.13 (/usr/bin/python3), the torch expression beside them.
#include <cstdint>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::longs;
using testing::Shape;
using testing::values;

class ViewsTest : public testing::DeviceTest {};

bool shares_storage(const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); }

// ============================================================================================
// view and reshape
// ============================================================================================

TEST_P(ViewsTest, ViewInfersMinusOneAndSharesStorage) {
  Tensor base = iota({12});
  Tensor v = base.view({3, -1});
  EXPECT_EQ(v.sizes().vec(), (Shape{3, 4}));
  EXPECT_EQ(v.strides().vec(), (Shape{4, 1}));
  EXPECT_TRUE(shares_storage(v, base));
  EXPECT_EQ(v.data_ptr(), base.data_ptr());
  v[1][2] = 100;  // element (1, 2) is base[6]
  EXPECT_EQ(base[6].item<int64_t>(), 100);
  base[11] = -5;
  EXPECT_EQ(v[2][3].item<int64_t>(), -5);
  EXPECT_EQ(base.view({-1, 2, 3}).sizes().vec(), (Shape{2, 2, 3}));
  EXPECT_EQ(base.view_as(zeros({2, 6})).sizes().vec(), (Shape{2, 6}));
}

TEST_P(ViewsTest, ViewWithBadShapeIsAnError) {
  Tensor base = iota({12});
  // torch.arange(12.).view(5, -1): "shape '[5, -1]' is invalid for input of size 12"
  EXPECT_AXON_ERROR(base.view({5, -1}), "shape '[5, -1]' is invalid for input of size 12");
  EXPECT_AXON_ERROR(base.view({5}), "shape '[5]' is invalid for input of size 12");
  // torch.arange(12.).view(-1, -1): "only one dimension can be inferred"
  EXPECT_AXON_ERROR(base.view({-1, -1}), "only one dimension can be inferred");
  EXPECT_AXON_ERROR(base.view({-2, 6}), "view: invalid shape dimension -2");
}

TEST_P(ViewsTest, ReshapeOfContiguousTensorIsAView) {
  Tensor base = iota({12});
  Tensor r = base.reshape({2, -1, 2});
  EXPECT_EQ(r.sizes().vec(), (Shape{2, 3, 2}));
  EXPECT_TRUE(shares_storage(r, base));
  r[1][2][1] = 42;  // (1, 2, 1) -> 6 + 4 + 1 = 11
  EXPECT_EQ(base[11].item<int64_t>(), 42);
  EXPECT_EQ(base.reshape_as(zeros({4, 3})).sizes().vec(), (Shape{4, 3}));
}

TEST_P(ViewsTest, ViewOfNonContiguousTensorSaysUseReshape) {
  Tensor transposed = iota({3, 4}).t();
  // torch.arange(12.).view(3, 4).t().view(12): "view size is not compatible with input tensor's
  // size and stride (at least one dimension spans across two contiguous subspaces). Use
  // .reshape(...) instead."
  EXPECT_AXON_ERROR(transposed.view({12}), "view size is not compatible with input tensor's size");
  EXPECT_AXON_ERROR(transposed.view({12}), "Use .reshape(...) instead.");
}

TEST_P(ViewsTest, ReshapeOfNonContiguousTensorCopies) {
  Tensor base = iota({3, 4});
  Tensor r = base.t().reshape({12});
  // torch.arange(12).view(3, 4).t().reshape(12) -> [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
  EXPECT_EQ(values<int64_t>(r), longs({0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_FALSE(shares_storage(r, base));
  r[0] = 99;
  EXPECT_EQ(base[0][0].item<int64_t>(), 0);
}

TEST_P(ViewsTest, ViewOfNonContiguousTensorWhenStridesAllow) {
  // Splitting a dim of a transposed tensor needs no copy.
  // torch.arange(12.).view(3, 4).t().view(2, 2, 3).stride() -> (2, 1, 4)
  Tensor transposed = iota({3, 4}).t();
  Tensor v = transposed.view({2, 2, 3});
  EXPECT_EQ(v.strides().vec(), (Shape{2, 1, 4}));
  EXPECT_TRUE(shares_storage(v, transposed));
  EXPECT_EQ(values<int64_t>(v), values<int64_t>(transposed));
}

// ============================================================================================
// flatten, squeeze, unsqueeze
// ============================================================================================

TEST_P(ViewsTest, Flatten) {
  Tensor x = iota({2, 3, 4});
  EXPECT_EQ(x.flatten().sizes().vec(), (Shape{24}));
  EXPECT_EQ(x.flatten(1).sizes().vec(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(0, 1).sizes().vec(), (Shape{6, 4}));
  EXPECT_EQ(x.flatten(-2, -1).sizes().vec(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(1, 1).sizes().vec(), (Shape{2, 3, 4}));
  EXPECT_TRUE(shares_storage(x.flatten(), x));
  // torch.tensor(5).flatten().shape -> [1]
  EXPECT_EQ(tensor(5, options(kInt64)).flatten().sizes().vec(), (Shape{1}));
  // A non-contiguous tensor flattens in its logical order.
  EXPECT_EQ(values<int64_t>(iota({2, 3}).t().flatten()), longs({0, 3, 1, 4, 2, 5}));
}

TEST_P(ViewsTest, FlattenErrors) {
  Tensor x = iota({2, 3, 4});
  // torch: "flatten() has invalid args: start_dim cannot come after end_dim"
  EXPECT_AXON_ERROR(x.flatten(2, 1),
                    "flatten() has invalid args: start_dim (2) cannot come "
                    "after end_dim (1)");
  EXPECT_AXON_ERROR(x.flatten(3),
                    "dimension out of range (expected to be in range of [-3, 2], "
                    "but got 3)");
}

TEST_P(ViewsTest, Squeeze) {
  Tensor x = iota({2, 1, 3, 1});
  EXPECT_EQ(x.squeeze().sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(x.squeeze().strides().vec(), (Shape{3, 1}));
  EXPECT_EQ(x.squeeze(1).sizes().vec(), (Shape{2, 3, 1}));
  EXPECT_EQ(x.squeeze(-1).sizes().vec(), (Shape{2, 1, 3}));
  EXPECT_EQ(x.squeeze(-3).sizes().vec(), (Shape{2, 3, 1}));
  // Squeezing a dim that is not 1 leaves the tensor as it is, as in PyTorch.
  EXPECT_EQ(x.squeeze(0).sizes().vec(), (Shape{2, 1, 3, 1}));
  EXPECT_TRUE(shares_storage(x.squeeze(), x));
  EXPECT_EQ(iota({1, 1}).squeeze().dim(), 0);
  EXPECT_EQ(values<int64_t>(x.squeeze()), longs({0, 1, 2, 3, 4, 5}));
  // torch.zeros(2, 1, 3, 1).squeeze(4): "Dimension out of range (expected to be in range of
  // [-4, 3], but got 4)"
  EXPECT_AXON_ERROR(x.squeeze(4),
                    "squeeze: dimension out of range (expected to be in range of "
                    "[-4, 3], but got 4)");
}

TEST_P(ViewsTest, Unsqueeze) {
  Tensor x = iota({2, 3, 4});
  // torch.arange(24).view(2, 3, 4).unsqueeze(d).stride() for d = 0, 1, -1
  EXPECT_EQ(x.unsqueeze(0).sizes().vec(), (Shape{1, 2, 3, 4}));
  EXPECT_EQ(x.unsqueeze(0).strides().vec(), (Shape{24, 12, 4, 1}));
  EXPECT_EQ(x.unsqueeze(1).sizes().vec(), (Shape{2, 1, 3, 4}));
  EXPECT_EQ(x.unsqueeze(1).strides().vec(), (Shape{12, 12, 4, 1}));
  EXPECT_EQ(x.unsqueeze(-1).sizes().vec(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(-1).strides().vec(), (Shape{12, 4, 1, 1}));
  EXPECT_EQ(x.unsqueeze(-4).sizes().vec(), (Shape{1, 2, 3, 4}));
  EXPECT_EQ(x.unsqueeze(3).sizes().vec(), (Shape{2, 3, 4, 1}));
  EXPECT_TRUE(shares_storage(x.unsqueeze(1), x));
  EXPECT_EQ(tensor(3, options(kInt64)).unsqueeze(0).sizes().vec(), (Shape{1}));
  // torch: "Dimension out of range (expected to be in range of [-4, 3], but got 4)"
  EXPECT_AXON_ERROR(x.unsqueeze(4),
                    "unsqueeze: dimension out of range (expected to be in "
                    "range of [-4, 3], but got 4)");
  EXPECT_AXON_ERROR(x.unsqueeze(-5), "but got -5");
}

// ============================================================================================
// transpose, t, permute
// ============================================================================================

TEST_P(ViewsTest, Transpose) {
  Tensor x = iota({2, 3, 4});
  Tensor tr = x.transpose(0, 2);
  // torch.arange(24).view(2, 3, 4).transpose(0, 2).stride() -> (1, 4, 12)
  EXPECT_EQ(tr.sizes().vec(), (Shape{4, 3, 2}));
  EXPECT_EQ(tr.strides().vec(), (Shape{1, 4, 12}));
  EXPECT_FALSE(tr.is_contiguous());
  EXPECT_TRUE(shares_storage(tr, x));
  // tr[i][j][k] = x[k][j][i] = 12k + 4j + i
  EXPECT_EQ(tr[3][1][1].item<int64_t>(), 12 + 4 + 3);
  EXPECT_EQ(x.transpose(-1, -3).strides().vec(), (Shape{1, 4, 12}));
  EXPECT_TRUE(x.transpose(1, 1).is_contiguous());
  tr[0][2][1] = -1;  // x[1][2][0]
  EXPECT_EQ(x[1][2][0].item<int64_t>(), -1);
  EXPECT_AXON_ERROR(x.transpose(0, 3),
                    "transpose: dimension out of range (expected to be in "
                    "range of [-3, 2], but got 3)");
}

TEST_P(ViewsTest, TransposeOfTwoDims) {
  Tensor x = iota({3, 4});
  Tensor t = x.t();
  EXPECT_EQ(t.sizes().vec(), (Shape{4, 3}));
  EXPECT_EQ(t.strides().vec(), (Shape{1, 4}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(values<int64_t>(t), longs({0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_TRUE(t.t().is_contiguous());
  // t() of 1-D and 0-D tensors returns them unchanged, as in PyTorch.
  EXPECT_EQ(iota({5}).t().sizes().vec(), (Shape{5}));
  EXPECT_EQ(tensor(2.0, options()).t().dim(), 0);
  // torch.ones(2, 3, 4).t(): "t() expects a tensor with <= 2 dimensions, but self is 3D"
  EXPECT_AXON_ERROR(iota({2, 3, 4}).t(),
                    "t() expects a tensor with <= 2 dimensions, but self is 3D");
}

TEST_P(ViewsTest, Permute) {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  // torch.arange(24).view(2, 3, 4).permute(2, 0, 1).stride() -> (1, 12, 4)
  EXPECT_EQ(p.sizes().vec(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides().vec(), (Shape{1, 12, 4}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_TRUE(shares_storage(p, x));
  // p[i][j][k] = x[j][k][i] = 12j + 4k + i
  EXPECT_EQ(p[2][1][2].item<int64_t>(), 12 + 8 + 2);
  EXPECT_EQ(x.permute({-1, 0, -2}).strides().vec(), (Shape{1, 12, 4}));
  EXPECT_TRUE(x.permute({0, 1, 2}).is_contiguous());
}

TEST_P(ViewsTest, PermuteErrors) {
  Tensor x = iota({2, 3, 4});
  // torch: x.permute(0, 0, 1): "permute(): duplicate dims are not allowed."
  EXPECT_AXON_ERROR(x.permute({0, 0, 1}), "permute: repeated dim 0");
  EXPECT_AXON_ERROR(x.permute({0, 2, -1}), "permute: repeated dim -1");
  EXPECT_AXON_ERROR(x.permute({1, 0}),
                    "permute: the number of dims (2) does not match the tensor's dimensions (3)");
  EXPECT_AXON_ERROR(x.permute({0, 1, 3}), "but got 3");
}

// ============================================================================================
// select, slice, narrow
// ============================================================================================

TEST_P(ViewsTest, Select) {
  Tensor x = iota({3, 4});
  Tensor row = x.select(0, 1);
  EXPECT_EQ(values<int64_t>(row), longs({4, 5, 6, 7}));
  EXPECT_EQ(row.storage_offset(), 4);
  EXPECT_TRUE(shares_storage(row, x));
  EXPECT_EQ(values<int64_t>(x.select(1, -1)), longs({3, 7, 11}));
  EXPECT_EQ(x.select(-1, 2).strides().vec(), (Shape{4}));
  EXPECT_EQ(values<int64_t>(x.select(0, -3)), longs({0, 1, 2, 3}));
  x.select(1, 0).fill_(-1);
  EXPECT_EQ(values<int64_t>(x.select(1, 0)), longs({-1, -1, -1}));
}

TEST_P(ViewsTest, SelectErrors) {
  Tensor x = iota({3, 4});
  // torch: "select(): index 3 out of range for tensor of size [3, 4] at dimension 0"
  EXPECT_AXON_ERROR(x.select(0, 3),
                    "select(): index 3 out of range for tensor of size [3, 4] at dimension 0");
  EXPECT_AXON_ERROR(x.select(0, -4), "select(): index -4 out of range");
  EXPECT_AXON_ERROR(x.select(2, 0), "select: dimension out of range");
  EXPECT_AXON_ERROR(tensor(1, options(kInt64)).select(0, 0),
                    "select() cannot be applied to a 0-dim tensor.");
}

TEST_P(ViewsTest, SliceClampsLikePython) {
  Tensor x = iota({10});
  // torch.arange(10)[2:8:3] -> [2, 5]
  EXPECT_EQ(values<int64_t>(x.slice(0, 2, 8, 3)), longs({2, 5}));
  // [-3:] -> [7, 8, 9]
  EXPECT_EQ(values<int64_t>(x.slice(0, -3)), longs({7, 8, 9}));
  // [2:100:3] -> [2, 5, 8]
  EXPECT_EQ(values<int64_t>(x.slice(0, 2, 100, 3)), longs({2, 5, 8}));
  // [-100:3] -> [0, 1, 2]
  EXPECT_EQ(values<int64_t>(x.slice(0, -100, 3)), longs({0, 1, 2}));
  // [:-1] -> 0..8
  EXPECT_EQ(x.slice(0, std::nullopt, -1).numel(), 9);
  // [7:2] -> empty
  Tensor none = x.slice(0, 7, 2);
  EXPECT_EQ(none.sizes().vec(), (Shape{0}));
  EXPECT_EQ(x.slice(0, 20, 30).numel(), 0);
  EXPECT_TRUE(shares_storage(x.slice(0, 1), x));
  EXPECT_EQ(x.slice(0, 1, 9, 2).strides().vec(), (Shape{2}));
}

TEST_P(ViewsTest, SliceInnerDimsHasPyTorchsGeometry) {
  Tensor x = iota({2, 3, 4});
  // torch.arange(24).view(2, 3, 4)[:, ::2].stride() -> (12, 8, 1), storage_offset 0
  Tensor a = x.slice(1, std::nullopt, std::nullopt, 2);
  EXPECT_EQ(a.sizes().vec(), (Shape{2, 2, 4}));
  EXPECT_EQ(a.strides().vec(), (Shape{12, 8, 1}));
  EXPECT_EQ(a.storage_offset(), 0);
  // x[1, 1:, ::3].storage_offset() -> 16; values [[16, 19], [20, 23]]
  Tensor b = x.select(0, 1).slice(0, 1).slice(1, std::nullopt, std::nullopt, 3);
  EXPECT_EQ(b.storage_offset(), 16);
  EXPECT_EQ(b.strides().vec(), (Shape{4, 3}));
  EXPECT_EQ(values<int64_t>(b), longs({16, 19, 20, 23}));
  b.fill_(0);
  EXPECT_EQ(x[1][2][3].item<int64_t>(), 0);
  EXPECT_EQ(x[1][2][2].item<int64_t>(), 22);
}

TEST_P(ViewsTest, SliceErrors) {
  Tensor x = iota({10});
  EXPECT_AXON_ERROR(x.slice(0, 0, 5, 0), "slice step must be positive, got 0");
  EXPECT_AXON_ERROR(x.slice(0, 0, 5, -1), "slice step must be positive, got -1");
  EXPECT_AXON_ERROR(x.slice(1), "slice: dimension out of range");
}

TEST_P(ViewsTest, Narrow) {
  Tensor x = iota({3, 4});
  EXPECT_EQ(values<int64_t>(x.narrow(0, 1, 2)), longs({4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(values<int64_t>(x.narrow(1, 2, 2)), longs({2, 3, 6, 7, 10, 11}));
  // torch.arange(12.).view(3, 4).narrow(0, -1, 1) -> the last row
  EXPECT_EQ(values<int64_t>(x.narrow(0, -1, 1)), longs({8, 9, 10, 11}));
  EXPECT_EQ(x.narrow(1, 0, 0).sizes().vec(), (Shape{3, 0}));
  EXPECT_TRUE(shares_storage(x.narrow(0, 1, 1), x));
  // torch: "start (2) + length (2) exceeds dimension size (3)."
  EXPECT_AXON_ERROR(x.narrow(0, 2, 2), "start (2) + length (2) exceeds dimension size (3).");
  EXPECT_AXON_ERROR(x.narrow(0, 4, 0), "narrow(): start (4) out of range");
}

// ============================================================================================
// expand
// ============================================================================================

TEST_P(ViewsTest, ExpandUsesStrideZero) {
  Tensor col = iota({3, 1});
  Tensor e = col.expand({3, 4});
  // torch.zeros(3, 1).expand(-1, 4).stride() -> (1, 0)
  EXPECT_EQ(e.sizes().vec(), (Shape{3, 4}));
  EXPECT_EQ(e.strides().vec(), (Shape{1, 0}));
  EXPECT_FALSE(e.is_contiguous());
  EXPECT_TRUE(shares_storage(e, col));
  EXPECT_EQ(values<int64_t>(e), longs({0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
  col[1][0] = 7;  // every element of the expanded row 1 reads it
  EXPECT_EQ(values<int64_t>(e[1]), longs({7, 7, 7, 7}));
  // -1 keeps the size.
  EXPECT_EQ(col.expand({-1, 5}).sizes().vec(), (Shape{3, 5}));
  // torch.zeros(3).expand(2, 3).stride() -> (0, 1): new leading dims have stride 0
  Tensor row = iota({3});
  EXPECT_EQ(row.expand({2, 3}).strides().vec(), (Shape{0, 1}));
  EXPECT_EQ(row.expand({2, 2, 3}).sizes().vec(), (Shape{2, 2, 3}));
  EXPECT_EQ(row.expand_as(zeros({4, 3})).sizes().vec(), (Shape{4, 3}));
  // torch.zeros(1, 3).expand(2, 3).stride() -> (0, 1)
  EXPECT_EQ(iota({1, 3}).expand({2, 3}).strides().vec(), (Shape{0, 1}));
}

TEST_P(ViewsTest, ExpandErrorsUsePyTorchsMessages) {
  Tensor x = ones({2, 3}, options());
  // torch.ones(2, 3).expand(4, 3)
  EXPECT_AXON_ERROR(x.expand({4, 3}),
                    "The expanded size of the tensor (4) must match the existing size (2) at "
                    "non-singleton dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]");
  // torch.ones(2, 3).expand(3): "the number of sizes provided (1) must be greater or equal to
  // the number of dimensions in the tensor (2)"
  EXPECT_AXON_ERROR(x.expand({3}),
                    "the number of sizes provided (1) must be greater or equal to "
                    "the number of dimensions in the tensor (2)");
  // torch.ones(2, 3).expand(-1, -1, 3): "The expanded size of the tensor (-1) isn't allowed in a
  // leading, non-existing dimension 0"
  EXPECT_AXON_ERROR(x.expand({-1, -1, 3}),
                    "expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                    "dimension 0");
}

// ============================================================================================
// contiguous, clone, detach
// ============================================================================================

TEST_P(ViewsTest, Contiguous) {
  Tensor x = iota({2, 3});
  EXPECT_TRUE(x.contiguous().is_same(x)) << "contiguous() of a contiguous tensor is itself";
  Tensor p = x.t().contiguous();
  EXPECT_TRUE(p.is_contiguous());
  EXPECT_EQ(p.strides().vec(), (Shape{2, 1}));
  EXPECT_EQ(values<int64_t>(p), longs({0, 3, 1, 4, 2, 5}));
  EXPECT_FALSE(shares_storage(p, x));
  Tensor e = iota({1, 3}).expand({2, 3}).contiguous();
  EXPECT_EQ(e.strides().vec(), (Shape{3, 1}));
  EXPECT_EQ(values<int64_t>(e), longs({0, 1, 2, 0, 1, 2}));
}

TEST_P(ViewsTest, CloneHasIndependentStorage) {
  Tensor x = iota({2, 3});
  Tensor c = x.clone();
  EXPECT_FALSE(shares_storage(c, x));
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_EQ(c.device(), device());
  EXPECT_EQ(values<int64_t>(c), values<int64_t>(x));
  c[0][0] = 50;
  EXPECT_EQ(x[0][0].item<int64_t>(), 0);
  x[1][1] = -50;
  EXPECT_EQ(c[1][1].item<int64_t>(), 4);
  // Clones of views hold only the viewed elements.
  Tensor cv = x.t().clone();
  EXPECT_EQ(values<int64_t>(cv), longs({0, 3, 1, -50, 2, 5}));
  EXPECT_EQ(cv.storage()->nbytes(), 6u * sizeof(int64_t));
}

TEST_P(ViewsTest, DetachSharesStorageWithoutGrad) {
  Tensor x = ones({3}, options().requires_grad(true));
  Tensor y = x * 2;
  Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.grad_fn(), nullptr);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_TRUE(shares_storage(d, y));
  d[0] = 5.0;  // the detached tensor writes into y's memory
  EXPECT_EQ(y[0].item<float>(), 5.0f);
  EXPECT_FALSE(x.detach().requires_grad());
  EXPECT_TRUE(x.requires_grad());
}

AXON_INSTANTIATE_DEVICE_TEST(ViewsTest);

}  // namespace
}  // namespace axon
