// Matrix products: mm, bmm and matmul with PyTorch's rules (1-D operands, batch broadcasting).
//
// Expected values come from a naive triple loop in float64 written here (naive_mm), applied to
// 2-D slices that the test selects itself, so the reference never goes through matmul's own
// reshaping; small-integer cases are exact.
#include <cmath>
#include <vector>

#include "test_utils.h"

namespace axon {
namespace {

using testing::same_values;

// a @ b for 2-D a [n, k] and b [k, m], by the textbook triple loop in float64, on the CPU.
Tensor naive_mm(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dim(), 2);
  EXPECT_EQ(b.dim(), 2);
  EXPECT_EQ(a.size(1), b.size(0));
  const int64_t n = a.size(0), k = a.size(1), m = b.size(1);
  Tensor x = a.detach().cpu().to(kFloat64).contiguous();
  Tensor y = b.detach().cpu().to(kFloat64).contiguous();
  std::vector<double> out(static_cast<size_t>(n * m), 0.0);
  const double* px = x.data_ptr<double>();
  const double* py = y.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      double acc = 0;
      for (int64_t l = 0; l < k; ++l) acc += px[i * k + l] * py[l * m + j];
      out[static_cast<size_t>(i * m + j)] = acc;
    }
  }
  return tensor(out, {n, m}, kFloat64);
}

constexpr double kF32Tol = 1e-5;  // float32 GEMM sums k products; k <= 64 here
constexpr double kF64Tol = 1e-12;

class LinalgTest : public testing::DeviceTest {
 protected:
  // Deterministic, irregular values in [-1, 1]: sin(0.7 * i + seed).
  Tensor values(IntArrayRef shape, double seed, DType dtype = kFloat32) const {
    int64_t numel = product(shape);
    return (arange(numel, options(kFloat64)) * 0.7 + seed).sin().reshape(shape).to(dtype);
  }
  // Small integers in [-4, 4] (exact in every dtype): (7 * i + seed) mod 9 - 4.
  Tensor small_ints(IntArrayRef shape, int64_t seed, DType dtype = kInt64) const {
    int64_t numel = product(shape);
    std::vector<int64_t> v(static_cast<size_t>(numel));
    for (int64_t i = 0; i < numel; ++i) v[static_cast<size_t>(i)] = (7 * i + seed) % 9 - 4;
    return tensor(v, shape, options(dtype));
  }
};

// ============================================================================================
// mm
// ============================================================================================

TEST_P(LinalgTest, MmOfSmallIntegersIsExact) {
  // [[1, 2, 3], [4, 5, 6]] @ [[1, 0], [0, 1], [1, 1]] = [[1 + 3, 2 + 3], [4 + 6, 5 + 6]]
  Tensor a = make({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor b = make({{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}});
  Tensor c = mm(a, b);
  EXPECT_EQ(c.dtype(), kFloat32);
  EXPECT_TRUE(same_values(c, tensor({{4.0, 5.0}, {10.0, 11.0}})));
  EXPECT_TRUE(same_values(a.mm(b), c));
}

TEST_P(LinalgTest, MmMatchesNaiveLoop) {
  Tensor a = values({33, 17}, 0.1);
  Tensor b = values({17, 29}, 0.2);
  Tensor c = mm(a, b);
  EXPECT_EQ(c.sizes(), IntArrayRef({33, 29}));
  EXPECT_TRUE(same_values(c.to(kFloat64), naive_mm(a, b), kF32Tol, 1e-6));
  Tensor a64 = values({64, 48}, 0.3, kFloat64);
  Tensor b64 = values({48, 80}, 0.4, kFloat64);
  EXPECT_TRUE(same_values(mm(a64, b64), naive_mm(a64, b64), kF64Tol, 1e-13));
  // Vector-shaped matrices.
  Tensor row = values({1, 5}, 0.5);
  Tensor col = values({5, 1}, 0.6);
  EXPECT_TRUE(same_values(mm(row, col).to(kFloat64), naive_mm(row, col), kF32Tol, 1e-6));
  EXPECT_TRUE(same_values(mm(col, row).to(kFloat64), naive_mm(col, row), kF32Tol, 1e-6));
}

TEST_P(LinalgTest, MmOfInt64IsExact) {
  Tensor a = small_ints({5, 7}, 1);
  Tensor b = small_ints({7, 3}, 2);
  Tensor c = mm(a, b);
  EXPECT_EQ(c.dtype(), kInt64);
  EXPECT_TRUE(same_values(c.to(kFloat64), naive_mm(a, b)));
  // Exact beyond float64's 53 bits: (2^31 + 1)^2 = 2^62 + 2^32 + 1.
  Tensor big = make({{(int64_t{1} << 31) + 1}}, kInt64);
  EXPECT_EQ(mm(big, big).item<int64_t>(), (int64_t{1} << 62) + (int64_t{1} << 32) + 1);
}

TEST_P(LinalgTest, MmWithTransposedAndSlicedOperands) {
  Tensor base_a = values({3, 5}, 0.7);
  Tensor base_b = values({3, 8}, 0.8);
  Tensor a = base_a.t();                // [5, 3], column-major
  Tensor b = base_b.slice(1, 0, 8, 2);  // [3, 4], column stride 2
  Tensor a_before = a.clone(), b_before = b.clone();
  ASSERT_FALSE(a.is_contiguous());
  ASSERT_FALSE(b.is_contiguous());
  Tensor c = mm(a, b);
  EXPECT_TRUE(same_values(c.to(kFloat64), naive_mm(a, b), kF32Tol, 1e-6));
  EXPECT_TRUE(same_values(c, mm(a.contiguous(), b.contiguous()), 1e-6, 1e-7));
  // The operands (and the memory behind them) are unchanged.
  EXPECT_TRUE(same_values(a, a_before));
  EXPECT_TRUE(same_values(b, b_before));
  EXPECT_TRUE(same_values(base_a, values({3, 5}, 0.7)));
  // Both transposed: (b^T)^T-style layouts.
  Tensor bt = values({4, 3}, 0.9).t();  // [3, 4]
  EXPECT_TRUE(same_values(mm(a, bt).to(kFloat64), naive_mm(a, bt), kF32Tol, 1e-6));
  // A column block (offset, row stride larger than the width) and a row-stepped slice.
  Tensor wide = values({6, 10}, 1.0);
  Tensor block = wide.slice(1, 3, 6);       // [6, 3], starts at column 3
  Tensor stepped = wide.slice(0, 1, 6, 2);  // [3, 10], every other row
  EXPECT_TRUE(
      same_values(mm(block.t(), block).to(kFloat64), naive_mm(block.t(), block), kF32Tol, 1e-6));
  EXPECT_TRUE(same_values(mm(stepped.t(), stepped).to(kFloat64), naive_mm(stepped.t(), stepped),
                          kF32Tol, 1e-6));
  EXPECT_TRUE(same_values(mm(block, stepped.slice(1, 0, 10, 3)).to(kFloat64),
                          naive_mm(block, stepped.slice(1, 0, 10, 3)), kF32Tol, 1e-6));
  // An expanded (stride-0) operand.
  Tensor rows = values({1, 3}, 1.1).expand({4, 3});
  EXPECT_TRUE(same_values(mm(rows, b).to(kFloat64), naive_mm(rows, b), kF32Tol, 1e-6));
}

// mm's gradients are laid out like their operands (PyTorch's mm_mat1/mat2_backward): a transposed
// operand, as linear's weight.t(), gets a transposed gradient, which its transpose's backward
// turns into a contiguous one for the weight's .grad() to keep without a copy. Values: against
// the products of the plain operands.
TEST_P(LinalgTest, MmGradientsAreLaidOutLikeTheirOperands) {
  for (bool transposed : {false, true}) {
    SCOPED_TRACE(transposed ? "transposed operands" : "row-major operands");
    Tensor a_rows = values({4, 3}, 0.7), b_rows = values({5, 3}, 0.8);
    Tensor a = transposed ? a_rows.t().contiguous().t() : a_rows;  // [4, 3]
    Tensor b = transposed ? b_rows.t() : b_rows.t().contiguous();  // [3, 5]
    a.requires_grad_();
    b.requires_grad_();
    Tensor g = values({4, 5}, 0.9);
    variable_list grads = autograd::grad({mm(a, b)}, {a, b}, {g});
    EXPECT_EQ(grads[0].strides(), a.strides());
    EXPECT_EQ(grads[1].strides(), b.strides());
    EXPECT_TRUE(same_values(grads[0].to(kFloat64), naive_mm(g, b.detach().t()), kF32Tol, 1e-6));
    EXPECT_TRUE(same_values(grads[1].to(kFloat64), naive_mm(a.detach().t(), g), kF32Tol, 1e-6));
  }
  // Through linear: the weight's gradient is contiguous, equal to grad_out^T @ input.
  Tensor weight = values({5, 3}, 0.6).requires_grad_();
  Tensor input = values({4, 3}, 0.5);
  Tensor g = values({4, 5}, 0.4);
  linear(input, weight, Tensor()).backward(g);
  ASSERT_TRUE(weight.grad().defined());
  EXPECT_TRUE(weight.grad().is_contiguous());
  EXPECT_TRUE(same_values(weight.grad().to(kFloat64), naive_mm(g.t(), input), kF32Tol, 1e-6));
}

TEST_P(LinalgTest, MmResultDoesNotAliasOperands) {
  Tensor a = make({{1.0, 0.0}, {0.0, 1.0}});
  Tensor b = make({{2.0, 3.0}, {4.0, 5.0}});
  Tensor c = mm(a, b);
  c.fill_(0);
  EXPECT_TRUE(same_values(b, tensor({{2.0, 3.0}, {4.0, 5.0}})));
  EXPECT_TRUE(same_values(a, tensor({{1.0, 0.0}, {0.0, 1.0}})));
}

TEST_P(LinalgTest, MmShapeMismatchNamesBothShapes) {
  // torch.mm(torch.ones(2, 3), torch.ones(4, 5)): "mat1 and mat2 shapes cannot be multiplied
  // (2x3 and 4x5)"
  EXPECT_AXON_ERROR(mm(ones({2, 3}, options()), ones({4, 5}, options())),
                    "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
}

TEST_P(LinalgTest, MmDtypeMismatchIsAnError) {
  // torch.mm(torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64)): "expected mat1 and mat2
  // to have the same dtype, but got: float != double"
  EXPECT_AXON_ERROR(mm(ones({2, 3}, options()), ones({3, 2}, options(kFloat64))),
                    "to have the same dtype, but got: float32 != float64");
  EXPECT_AXON_ERROR(mm(ones({2, 3}, options(kInt64)), ones({3, 2}, options())), "mm");
}

TEST_P(LinalgTest, MmNeedsMatrices) {
  EXPECT_AXON_ERROR(mm(ones({3}, options()), ones({3, 2}, options())), "mm: expected 2-D");
  EXPECT_AXON_ERROR(mm(ones({2, 3}, options()), ones({1, 3, 2}, options())), "mm");
}

TEST_P(LinalgTest, MmOfEmptyMatrices) {
  // [0, 3] @ [3, 4] -> [0, 4]; [2, 0] @ [0, 3] -> zeros [2, 3] (an empty sum is 0)
  EXPECT_EQ(mm(ones({0, 3}, options()), ones({3, 4}, options())).sizes(), IntArrayRef({0, 4}));
  EXPECT_TRUE(
      same_values(mm(ones({2, 0}, options()), ones({0, 3}, options())), zeros({2, 3}, kFloat32)));
  EXPECT_TRUE(same_values(mm(ones({2, 0}, options(kInt64)), ones({0, 3}, options(kInt64))),
                          zeros({2, 3}, kInt64)));
}

// ============================================================================================
// bmm
// ============================================================================================

TEST_P(LinalgTest, BmmMatchesNaiveLoopPerBatch) {
  Tensor a = values({4, 2, 3}, 0.1);
  Tensor b = values({4, 3, 5}, 0.2);
  Tensor c = bmm(a, b);
  ASSERT_EQ(c.sizes(), IntArrayRef({4, 2, 5}));
  for (int64_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(same_values(c[i].to(kFloat64), naive_mm(a[i], b[i]), kF32Tol, 1e-6));
  }
  Tensor ai = small_ints({3, 4, 2}, 3), bi = small_ints({3, 2, 6}, 4);
  Tensor ci = ai.bmm(bi);
  EXPECT_EQ(ci.dtype(), kInt64);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(same_values(ci[i].to(kFloat64), naive_mm(ai[i], bi[i])));
  }
}

TEST_P(LinalgTest, BmmWithNonContiguousOperands) {
  Tensor a = values({4, 3, 2}, 0.3).transpose(1, 2);      // [4, 2, 3], each matrix column-major
  Tensor b = values({3, 4, 5}, 0.4).permute({1, 0, 2});   // [4, 3, 5], batch is not outermost
  Tensor c = values({4, 3, 10}, 0.5).slice(2, 0, 10, 2);  // [4, 3, 5], column stride 2
  ASSERT_FALSE(a.is_contiguous());
  ASSERT_FALSE(b.is_contiguous());
  Tensor ab = bmm(a, b), ac = bmm(a, c);
  for (int64_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(same_values(ab[i].to(kFloat64), naive_mm(a[i], b[i]), kF32Tol, 1e-6));
    EXPECT_TRUE(same_values(ac[i].to(kFloat64), naive_mm(a[i], c[i]), kF32Tol, 1e-6));
  }
  // A batch expanded from one matrix (batch stride 0).
  Tensor shared = values({1, 2, 3}, 0.6).expand({4, 2, 3});
  Tensor sb = bmm(shared, b);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(same_values(sb[i].to(kFloat64), naive_mm(shared[i], b[i]), kF32Tol, 1e-6));
  }
}

TEST_P(LinalgTest, BmmBatchMismatchIsAnError) {
  // torch.bmm(torch.ones(4, 2, 3), torch.ones(5, 3, 2)) is an error naming both batch sizes.
  try {
    bmm(ones({4, 2, 3}, options()), ones({5, 3, 2}, options()));
    ADD_FAILURE() << "expected axon::Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("bmm"), std::string::npos) << message;
    EXPECT_NE(message.find('4'), std::string::npos) << message;
    EXPECT_NE(message.find('5'), std::string::npos) << message;
  }
  // torch.bmm(torch.ones(4, 2, 3), torch.ones(4, 5, 2)): "Expected size for first two
  // dimensions of batch2 tensor to be: [4, 3] but got: [4, 5]."
  EXPECT_AXON_ERROR(bmm(ones({4, 2, 3}, options()), ones({4, 5, 2}, options())),
                    "first two dimensions of batch2 tensor to be: [4, 3] but got: [4, 5]");
  EXPECT_AXON_ERROR(bmm(ones({2, 3}, options()), ones({3, 2}, options())), "bmm");
  EXPECT_AXON_ERROR(bmm(ones({1, 2, 3}, options()), ones({1, 3, 2}, options(kFloat64))),
                    "same dtype");
}

// ============================================================================================
// matmul
// ============================================================================================

TEST_P(LinalgTest, MatmulVectorVectorIsZeroDimDot) {
  // [1, 2, 3] . [4, -5, 6] = 4 - 10 + 18 = 12
  Tensor d = matmul(make({1.0, 2.0, 3.0}), make({4.0, -5.0, 6.0}));
  EXPECT_EQ(d.dim(), 0);
  EXPECT_EQ(d.dtype(), kFloat32);
  EXPECT_EQ(d.item<double>(), 12.0);
  Tensor di = make({1, 2, 3}, kInt64).matmul(make({4, -5, 6}, kInt64));
  EXPECT_EQ(di.dim(), 0);
  EXPECT_EQ(di.dtype(), kInt64);
  EXPECT_EQ(di.item<int64_t>(), 12);
  // Stepped vector: [0, 2, 4] . [1, 1, 1] = 6
  Tensor stepped = arange(6, options()).slice(0, 0, 6, 2);
  EXPECT_EQ(matmul(stepped, ones({3}, options())).item<double>(), 6.0);
  // torch.matmul(torch.ones(3), torch.ones(4)): "inconsistent tensor size, expected tensor [3]
  // and src [4] to have the same number of elements, but got 3 and 4 elements respectively"
  EXPECT_AXON_ERROR(matmul(ones({3}, options()), ones({4}, options())),
                    "inconsistent tensor size, expected tensor [3] and src [4] to have the same "
                    "number of elements, but got 3 and 4 elements respectively");
}

TEST_P(LinalgTest, MatmulMatrixVectorAndVectorMatrix) {
  Tensor m = values({4, 3}, 0.1);
  Tensor v = values({3}, 0.2);
  Tensor w = values({4}, 0.3);
  // 2-D @ 1-D -> [4]: the vector is a column, then dropped.
  Tensor mv = matmul(m, v);
  EXPECT_EQ(mv.sizes(), IntArrayRef({4}));
  EXPECT_TRUE(
      same_values(mv.to(kFloat64), naive_mm(m, v.reshape({3, 1})).reshape({4}), kF32Tol, 1e-6));
  // 1-D @ 2-D -> [3]: the vector is a row, then dropped.
  Tensor vm = w.matmul(m);
  EXPECT_EQ(vm.sizes(), IntArrayRef({3}));
  EXPECT_TRUE(
      same_values(vm.to(kFloat64), naive_mm(w.reshape({1, 4}), m).reshape({3}), kF32Tol, 1e-6));
  // Transposed matrix operand.
  Tensor mt = m.t();  // [3, 4]
  EXPECT_TRUE(same_values(matmul(mt, w).to(kFloat64), naive_mm(mt, w.reshape({4, 1})).reshape({3}),
                          kF32Tol, 1e-6));
  // Size mismatch
  EXPECT_AXON_ERROR(matmul(m, ones({4}, options())), "cannot be multiplied");
  EXPECT_AXON_ERROR(matmul(ones({3}, options()), m), "cannot be multiplied");
}

TEST_P(LinalgTest, MatmulMatrixMatrixIsMm) {
  Tensor a = values({5, 6}, 0.1), b = values({6, 2}, 0.2);
  EXPECT_TRUE(same_values(matmul(a, b), mm(a, b)));
  EXPECT_AXON_ERROR(matmul(ones({2, 3}, options()), ones({4, 5}, options())),
                    "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
}

TEST_P(LinalgTest, MatmulBroadcastsBatchDims) {
  // torch.matmul(torch.ones(2, 1, 3, 4), torch.ones(5, 4, 2)).shape -> [2, 5, 3, 2]
  Tensor a = values({2, 1, 3, 4}, 0.1);
  Tensor b = values({5, 4, 2}, 0.2);
  Tensor c = matmul(a, b);
  ASSERT_EQ(c.sizes(), IntArrayRef({2, 5, 3, 2}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      SCOPED_TRACE(::testing::PrintToString(i) + "," + ::testing::PrintToString(j));
      EXPECT_TRUE(same_values(c[i][j].to(kFloat64), naive_mm(a[i][0], b[j]), kF32Tol, 1e-6));
    }
  }
  // Broadcasting on both sides: [3, 1, 2, 4] @ [1, 2, 4, 3] -> [3, 2, 2, 3]
  Tensor p = values({3, 1, 2, 4}, 0.3);
  Tensor q = values({1, 2, 4, 3}, 0.4);
  Tensor pq = p.matmul(q);
  ASSERT_EQ(pq.sizes(), IntArrayRef({3, 2, 2, 3}));
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 2; ++j) {
      EXPECT_TRUE(same_values(pq[i][j].to(kFloat64), naive_mm(p[i][0], q[0][j]), kF32Tol, 1e-6));
    }
  }
  // Equal batch dims: the same as bmm.
  Tensor x = values({3, 2, 4}, 0.5), y = values({3, 4, 5}, 0.6);
  EXPECT_TRUE(same_values(matmul(x, y), bmm(x, y)));
}

TEST_P(LinalgTest, MatmulBatchedWithMatrix) {
  // [2, 3, 4] @ [4, 5] -> [2, 3, 5]; [3, 4] @ [2, 4, 5] -> [2, 3, 5]
  Tensor a = values({2, 3, 4}, 0.1), m = values({4, 5}, 0.2);
  Tensor am = matmul(a, m);
  ASSERT_EQ(am.sizes(), IntArrayRef({2, 3, 5}));
  Tensor l = values({3, 4}, 0.3), b = values({2, 4, 5}, 0.4);
  Tensor lb = matmul(l, b);
  ASSERT_EQ(lb.sizes(), IntArrayRef({2, 3, 5}));
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(same_values(am[i].to(kFloat64), naive_mm(a[i], m), kF32Tol, 1e-6));
    EXPECT_TRUE(same_values(lb[i].to(kFloat64), naive_mm(l, b[i]), kF32Tol, 1e-6));
  }
  // A non-contiguous batched left operand.
  Tensor at = values({2, 4, 3}, 0.5).transpose(1, 2);  // [2, 3, 4]
  Tensor atm = matmul(at, m);
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(same_values(atm[i].to(kFloat64), naive_mm(at[i], m), kF32Tol, 1e-6));
  }
  // 4-D @ 2-D
  Tensor d4 = values({2, 2, 3, 4}, 0.6);
  Tensor d4m = matmul(d4, m);
  ASSERT_EQ(d4m.sizes(), IntArrayRef({2, 2, 3, 5}));
  EXPECT_TRUE(same_values(d4m[1][0].to(kFloat64), naive_mm(d4[1][0], m), kF32Tol, 1e-6));
}

TEST_P(LinalgTest, MatmulBatchedWithVector) {
  // N-D @ 1-D: [2, 3, 4] @ [4] -> [2, 3]
  Tensor a = values({2, 3, 4}, 0.1), v = values({4}, 0.2);
  Tensor av = matmul(a, v);
  ASSERT_EQ(av.sizes(), IntArrayRef({2, 3}));
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(same_values(av[i].to(kFloat64), naive_mm(a[i], v.reshape({4, 1})).reshape({3}),
                            kF32Tol, 1e-6));
  }
  Tensor a4 = values({2, 2, 3, 4}, 0.3);
  EXPECT_EQ(matmul(a4, v).sizes(), IntArrayRef({2, 2, 3}));
  // 1-D @ N-D: [4] @ [2, 4, 3] -> [2, 3]
  Tensor w = values({4}, 0.4), b = values({2, 4, 3}, 0.5);
  Tensor wb = matmul(w, b);
  ASSERT_EQ(wb.sizes(), IntArrayRef({2, 3}));
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(same_values(wb[i].to(kFloat64), naive_mm(w.reshape({1, 4}), b[i]).reshape({3}),
                            kF32Tol, 1e-6));
  }
  EXPECT_EQ(matmul(w, values({3, 2, 4, 5}, 0.6)).sizes(), IntArrayRef({3, 2, 5}));
  EXPECT_AXON_ERROR(matmul(a, ones({3}, options())), "cannot be multiplied");
  EXPECT_AXON_ERROR(matmul(ones({3}, options()), b), "cannot be multiplied");
}

TEST_P(LinalgTest, MatmulOfZeroDimIsAnError) {
  // torch.matmul(torch.tensor(2.), torch.ones(2, 2)): "both arguments to matmul need to be at
  // least 1D, but they are 0D and 2D"
  EXPECT_AXON_ERROR(matmul(make(2.0), ones({2, 2}, options())),
                    "both arguments to matmul need to be at least 1D, but they are 0D and 2D");
  EXPECT_AXON_ERROR(matmul(ones({2}, options()), make(2.0)),
                    "both arguments to matmul need to be at least 1D, but they are 1D and 0D");
}

TEST_P(LinalgTest, MatmulIncompatibleShapesAreErrors) {
  // Inner dims differ in the batched case.
  EXPECT_AXON_ERROR(matmul(ones({2, 3, 4}, options()), ones({2, 5, 6}, options())),
                    "cannot be multiplied");
  // Batch dims that do not broadcast: torch.matmul(torch.ones(2, 3, 4), torch.ones(3, 4, 5)):
  // "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"
  EXPECT_AXON_ERROR(matmul(ones({2, 3, 4}, options()), ones({3, 4, 5}, options())),
                    "The size of tensor a (2) must match the size of tensor b (3) at "
                    "non-singleton dimension 0");
  EXPECT_AXON_ERROR(matmul(ones({2, 3}, options()), ones({3, 2}, options(kFloat64))), "same dtype");
}

TEST_P(LinalgTest, MatmulFloat64AndInt64) {
  Tensor a = values({2, 1, 3, 4}, 0.1, kFloat64), b = values({5, 4, 2}, 0.2, kFloat64);
  Tensor c = matmul(a, b);
  EXPECT_EQ(c.dtype(), kFloat64);
  EXPECT_TRUE(same_values(c[1][3], naive_mm(a[1][0], b[3]), kF64Tol, 1e-14));
  Tensor ai = small_ints({2, 1, 3, 4}, 5), bi = small_ints({5, 4, 2}, 6);
  Tensor ci = matmul(ai, bi);
  EXPECT_EQ(ci.dtype(), kInt64);
  ASSERT_EQ(ci.sizes(), IntArrayRef({2, 5, 3, 2}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      EXPECT_TRUE(same_values(ci[i][j].to(kFloat64), naive_mm(ai[i][0], bi[j])));
    }
  }
  // torch.matmul(torch.tensor([[1, 2], [3, 4]]), torch.tensor([5, 6])) -> tensor([17, 39])
  EXPECT_TRUE(
      same_values(matmul(make({{1, 2}, {3, 4}}, kInt64), make({5, 6}, kInt64)), tensor({17, 39})));
}

TEST_P(LinalgTest, MatmulBatchedWithMatrixOfEmptyInnerDim) {
  // torch.matmul(torch.ones(2, 3, 0), torch.ones(0, 5)) -> zeros [2, 3, 5] (empty sums)
  EXPECT_TRUE(same_values(matmul(ones({2, 3, 0}, options()), ones({0, 5}, options())),
                          zeros({2, 3, 5}, kFloat32)));
  EXPECT_TRUE(same_values(matmul(ones({2, 3, 0}, options()), ones({0}, options())),
                          zeros({2, 3}, kFloat32)));
}

TEST_P(LinalgTest, MatmulWithEmptyDims) {
  EXPECT_TRUE(same_values(matmul(ones({2, 3, 0}, options()), ones({2, 0, 5}, options())),
                          zeros({2, 3, 5}, kFloat32)));
  EXPECT_TRUE(same_values(matmul(ones({0}, options()), ones({0}, options())), zeros({}, kFloat32)));
  // An empty batch: torch.matmul(torch.ones(0, 3, 4), torch.ones(4, 5)).shape -> [0, 3, 5]
  EXPECT_EQ(matmul(ones({0, 3, 4}, options()), ones({4, 5}, options())).sizes(),
            IntArrayRef({0, 3, 5}));
  EXPECT_EQ(matmul(ones({0, 3, 4}, options()), ones({1, 4, 5}, options())).sizes(),
            IntArrayRef({0, 3, 5}));
}

AXON_INSTANTIATE_DEVICE_TEST(LinalgTest);

}  // namespace
}  // namespace axon
