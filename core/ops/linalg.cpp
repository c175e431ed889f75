// Matrix products: mm, bmm (one batched GEMM kernel) and matmul (PyTorch's broadcasting rules
// built on them).
#include <algorithm>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"
#include "kernels/common/gemm.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::gemm_kernel);

using autograd::BackwardContext;
using autograd::record;

namespace {

// How BLAS reads the last two dims of `m`: row-major (possibly with padding) or transposed
// (column-major). Other layouts are copied to contiguous first.
struct MatrixLayout {
  Tensor tensor;
  bool trans = false;
  int64_t ld = 1;
};

MatrixLayout matrix_layout(const Tensor& m) {
  const int64_t r = m.dim() - 2;
  const int64_t rows = m.size(r), cols = m.size(r + 1);
  const int64_t s0 = m.stride(r), s1 = m.stride(r + 1);
  if ((s1 == 1 || cols <= 1) && (s0 >= std::max<int64_t>(cols, 1) || rows <= 1)) {
    return {m, false, rows <= 1 ? std::max<int64_t>(cols, 1) : s0};
  }
  if ((s0 == 1 || rows <= 1) && (s1 >= std::max<int64_t>(rows, 1) || cols <= 1)) {
    return {m, true, cols <= 1 ? std::max<int64_t>(rows, 1) : s1};
  }
  Tensor c = m.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

// A 2-D matrix stored column-major (the .t() of a contiguous one), with more than one row and
// column.
bool is_transposed(const Tensor& m) {
  return m.size(0) > 1 && m.size(1) > 1 && m.stride(0) == 1 && m.stride(1) == m.size(0);
}

void check_matmul_operands(const Tensor& a, const Tensor& b, const char* op) {
  detail::check_defined(a, op, "self");
  detail::check_defined(b, op, "mat2");
  detail::check_same_device(a, b, op);
  AXON_CHECK(a.dtype() == b.dtype(),
             "{}: expected self and mat2 to have the same dtype, but got: {} != {}", op, a.dtype(),
             b.dtype());
  AXON_CHECK(a.is_floating_point() || a.dtype() == DType::Int64,
             "{}: not implemented for {} tensors", op, a.dtype());
}

// out[b] = a[b] @ m2[b] for 3-D a [B, n, k] and m2 [B, k, m], into a new contiguous tensor of
// `out_shape` (B * n * m elements).
Tensor batched_gemm(const Tensor& a, const Tensor& m2, IntArrayRef out_shape) {
  const int64_t batch = a.size(0), n = a.size(1), k = a.size(2), m = m2.size(2);
  Tensor out = detail::empty_tensor(out_shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;
  if (k == 0) return out.zero_();
  MatrixLayout la = matrix_layout(a), lb = matrix_layout(m2);
  kernels::GemmArgs args;
  args.dtype = a.dtype();
  args.device = a.device().index();
  args.trans_a = la.trans;
  args.trans_b = lb.trans;
  args.batch = batch;
  args.m = n;
  args.n = m;
  args.k = k;
  args.a = la.tensor.data_ptr();
  args.lda = la.ld;
  args.stride_a = batch > 1 ? la.tensor.stride(0) : 0;
  args.b = lb.tensor.data_ptr();
  args.ldb = lb.ld;
  args.stride_b = batch > 1 ? lb.tensor.stride(0) : 0;
  args.c = out.data_ptr();
  args.ldc = std::max<int64_t>(m, 1);
  args.stride_c = n * m;
  kernels::gemm_kernel(a.device())(args);
  return out;
}

}  // namespace

Tensor mm(const Tensor& self, const Tensor& mat2) {
  check_matmul_operands(self, mat2, "mm");
  AXON_CHECK(self.dim() == 2 && mat2.dim() == 2,
             "mm: expected 2-D tensors, got self of shape {} and mat2 of shape {}", self.sizes(),
             mat2.sizes());
  AXON_CHECK(self.size(1) == mat2.size(0),
             "mm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})", self.size(0),
             self.size(1), mat2.size(0), mat2.size(1));
  Tensor out;
  {
    NoGradGuard no_grad;
    out = batched_gemm(self.unsqueeze(0), mat2.unsqueeze(0), {self.size(0), mat2.size(1)});
  }
  if (autograd::should_record({&self, &mat2})) {
    // Each gradient is laid out like its operand, as PyTorch's mm_mat1_backward and
    // mm_mat2_backward do: for a transposed operand (linear's weight.t()) the product is computed
    // transposed, so the weight's gradient arrives contiguous and AccumulateGrad keeps it without
    // a copy.
    record("MmBackward0", out, {&self, &mat2}, {self, mat2}, [](const BackwardContext& ctx) {
      const Tensor& g = ctx.grad();
      const Tensor &a = ctx.saved(0), &b = ctx.saved(1);
      Tensor ga, gb;
      if (ctx.needs_grad(0)) ga = is_transposed(a) ? b.mm(g.t()).t() : g.mm(b.t());
      if (ctx.needs_grad(1)) gb = is_transposed(b) ? g.t().mm(a).t() : a.t().mm(g);
      return variable_list{ga, gb};
    });
  }
  return out;
}

Tensor bmm(const Tensor& self, const Tensor& mat2) {
  check_matmul_operands(self, mat2, "bmm");
  AXON_CHECK(self.dim() == 3 && mat2.dim() == 3,
             "bmm: expected 3-D tensors, got self of shape {} and mat2 of shape {}", self.sizes(),
             mat2.sizes());
  AXON_CHECK(self.size(0) == mat2.size(0),
             "bmm: batch sizes differ: self has {} matrices and mat2 has {}", self.size(0),
             mat2.size(0));
  AXON_CHECK(self.size(2) == mat2.size(1),
             "bmm: expected size for first two dimensions of batch2 tensor to be: [{}, {}] but "
             "got: [{}, {}].",
             self.size(0), self.size(2), mat2.size(0), mat2.size(1));
  Tensor out;
  {
    NoGradGuard no_grad;
    out = batched_gemm(self, mat2, {self.size(0), self.size(1), mat2.size(2)});
  }
  if (autograd::should_record({&self, &mat2})) {
    record("BmmBackward0", out, {&self, &mat2}, {self, mat2}, [](const BackwardContext& ctx) {
      const Tensor& g = ctx.grad();
      Tensor ga, gb;
      if (ctx.needs_grad(0)) ga = g.bmm(ctx.saved(1).transpose(1, 2));
      if (ctx.needs_grad(1)) gb = ctx.saved(0).transpose(1, 2).bmm(g);
      return variable_list{ga, gb};
    });
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "matmul", "self");
  detail::check_defined(b, "matmul", "other");
  const int64_t da = a.dim(), db = b.dim();
  AXON_CHECK(da > 0 && db > 0,
             "both arguments to matmul need to be at least 1D, but they are {}D and {}D", da, db);
  if (da == 1 && db == 1) {
    AXON_CHECK(
        a.size(0) == b.size(0),
        "matmul: inconsistent tensor size, expected tensor [{}] and src [{}] to have the same "
        "number of elements, but got {} and {} elements respectively",
        a.size(0), b.size(0), a.size(0), b.size(0));
    return a.unsqueeze(0).mm(b.unsqueeze(1)).reshape({});
  }
  if (da == 2 && db == 1) return a.mm(b.unsqueeze(1)).squeeze(1);
  if (da == 1 && db == 2) return a.unsqueeze(0).mm(b).squeeze(0);
  if (da == 2 && db == 2) return a.mm(b);
  if (da >= 3 && db <= 2) {
    // Fold the batch into the rows: one GEMM instead of a loop.
    Tensor rhs = db == 1 ? b.unsqueeze(1) : b;
    DimVector out_shape(a.sizes());
    out_shape.back() = rhs.size(1);
    const int64_t rows = product(a.sizes().slice(0, static_cast<size_t>(da - 1)));
    Tensor out = a.reshape({rows, a.size(-1)}).mm(rhs).view(out_shape);
    return db == 1 ? out.squeeze(-1) : out;
  }
  // General case: broadcast the batch dims, then one batched GEMM.
  Tensor lhs = da == 1 ? a.unsqueeze(0) : a;
  Tensor rhs = db == 1 ? b.unsqueeze(1) : b;
  const int64_t n = lhs.size(-2), k = lhs.size(-1), k2 = rhs.size(-2), m = rhs.size(-1);
  AXON_CHECK(k == k2, "matmul: shapes {} and {} cannot be multiplied ({} != {})", a.sizes(),
             b.sizes(), k, k2);
  DimVector batch_a(lhs.sizes().slice(0, static_cast<size_t>(lhs.dim() - 2)));
  DimVector batch_b(rhs.sizes().slice(0, static_cast<size_t>(rhs.dim() - 2)));
  DimVector batch = broadcast_shapes(batch_a, batch_b);
  int64_t batch_size = product(batch);
  DimVector lhs_shape = batch, rhs_shape = batch;
  lhs_shape.push_back(n);
  lhs_shape.push_back(k);
  rhs_shape.push_back(k);
  rhs_shape.push_back(m);
  Tensor out = lhs.expand(lhs_shape)
                   .reshape({batch_size, n, k})
                   .bmm(rhs.expand(rhs_shape).reshape({batch_size, k, m}));
  DimVector out_shape = batch;
  if (da > 1) out_shape.push_back(n);
  if (db > 1) out_shape.push_back(m);
  return out.view(out_shape);
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(input, "linear", "input");
  detail::check_defined(weight, "linear", "weight");
  AXON_CHECK(weight.dim() == 2, "linear: expected a 2-D weight (out_features, in_features), got {}",
             weight.sizes());
  AXON_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1),
             "linear: input of shape {} cannot be multiplied by a weight of shape {} (expected the "
             "input's last dim to be {})",
             input.sizes(), weight.sizes(), weight.size(1));
  if (bias.defined()) {
    AXON_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "linear: expected a bias of shape [{}], got {}", weight.size(0), bias.sizes());
  }
  Tensor out = matmul(input, weight.t());
  return bias.defined() ? out + bias : out;
}

}  // namespace axon
