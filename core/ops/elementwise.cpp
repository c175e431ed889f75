// Elementwise ops: type promotion, broadcasting, the kernel call and the backward, per op.
#include "kernels/common/elementwise.h"

#include <cmath>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/autograd/view_inplace.h"
#include "core/elementwise_iter.h"
#include "core/ops/elementwise_ops.h"
#include "core/tensor_utils.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::unary_kernel);
AXON_DEFINE_KERNEL(kernels::binary_kernel);
AXON_DEFINE_KERNEL(kernels::where_kernel);

using autograd::BackwardContext;
using autograd::record;
using autograd::should_record;
using detail::IterInput;
using kernels::BinaryOp;
using kernels::OpParams;
using kernels::UnaryOp;

// ---- type promotion (PyTorch's result_type) -------------------------------------------------
namespace {

struct ResultTypeState {
  std::optional<DType> dim;      // tensors with at least one dim
  std::optional<DType> zero;     // 0-dim tensors
  std::optional<DType> wrapped;  // Python-like numbers
};

std::optional<DType> promote(std::optional<DType> a, DType b) {
  return a ? promote_types(*a, b) : b;
}

void update(ResultTypeState& s, const Tensor& t) {
  if (t.dim() == 0) {
    s.zero = promote(s.zero, t.dtype());
  } else {
    s.dim = promote(s.dim, t.dtype());
  }
}
void update(ResultTypeState& s, const Scalar& v) { s.wrapped = promote(s.wrapped, v.dtype()); }

// A lower-priority operand only matters when it is of a higher category (bool < int < float).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower || is_floating_point(*higher)) return higher;
  if (*higher == DType::Bool || is_floating_point(*lower)) return promote_types(*higher, *lower);
  return higher;
}

DType result(const ResultTypeState& s) { return *combine(s.dim, combine(s.zero, s.wrapped)); }

// PyTorch's can_cast: no float -> integer and no number -> bool in an in-place op.
bool can_cast(DType from, DType to) {
  if (is_floating_point(from) && !is_floating_point(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  ResultTypeState s;
  update(s, a);
  update(s, b);
  return result(s);
}

DType result_type(const Tensor& a, const Scalar& b) {
  ResultTypeState s;
  update(s, a);
  update(s, b);
  return result(s);
}

DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  if (a == b) return DimVector(a);
  size_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    AXON_CHECK(da == db || da == 1 || db == 1,
               "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton "
               "dimension {} (shapes {} and {})",
               da, db, i, a, b);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace detail {
namespace {

// PyTorch refuses bool operands in subtraction (a mask minus something is almost always a bug).
void check_sub_operands(bool a_is_bool, bool b_is_bool) {
  AXON_CHECK(!(a_is_bool && b_is_bool),
             "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
             "or `logical_xor()` operator instead.");
  AXON_CHECK(!(a_is_bool || b_is_bool),
             "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
}

void check_op_dtype(unsigned types, DType dtype, const char* name) {
  AXON_CHECK(kernels::type_in(types, dtype), "{}: not implemented for {} tensors", name, dtype);
}

// The value a 0-dim CPU tensor holds, so it can join ops on any device as a scalar.
bool is_cpu_scalar(const Tensor& t) { return t.dim() == 0 && t.is_cpu(); }

// Writes out = op(a, b) with a and b already in `compute` (b may be a host scalar).
void run_binary(BinaryOp op, const OpParams& params, const Tensor& out, const IterInput& a,
                const IterInput& b) {
  kernels::binary_kernel(out.device())(op, params, make_elementwise_iter(out, {a, b}));
}

// Makes an input safe to read while `out` is written: a partial overlap is cloned away.
Tensor unaliased(const Tensor& input, const Tensor& out) {
  if (input.storage() != out.storage()) return input;
  bool same_view = input.data_ptr() == out.data_ptr() && input.sizes() == out.sizes() &&
                   input.strides() == out.strides();
  if (same_view) return input;
  NoGradGuard no_grad;
  return input.clone();
}

}  // namespace

// The dtype a binary op computes in, from its operands' common dtype: true division makes
// integers float, and bool operands cannot be subtracted.
DType binary_compute_dtype(BinaryOp op, DType common, bool a_is_bool, bool b_is_bool) {
  if (op == BinaryOp::Sub) check_sub_operands(a_is_bool, b_is_bool);
  return op == BinaryOp::Div && !is_floating_point(common) ? get_default_dtype() : common;
}

// Checks the op is defined for `compute` and returns its output dtype.
DType binary_out_dtype(BinaryOp op, DType compute, const char* name) {
  check_op_dtype(kernels::kBinaryOpTypes[static_cast<int>(op)], compute, name);
  return kernels::kBinaryOpReturnsBool[static_cast<int>(op)] ? DType::Bool : compute;
}

Tensor binary_op(BinaryOp op, const char* name, const Tensor& a, const Tensor& b,
                 const OpParams& params) {
  check_defined(a, name, "self");
  check_defined(b, name, "other");
  DType compute = binary_compute_dtype(op, result_type(a, b), a.dtype() == DType::Bool,
                                       b.dtype() == DType::Bool);
  DType out_dtype = binary_out_dtype(op, compute, name);
  // A 0-dim CPU tensor may meet a tensor on another device; it then acts as a scalar.
  if (a.device() != b.device()) {
    if (is_cpu_scalar(b)) {
      Tensor out = empty_tensor(a.sizes(), out_dtype, a.device());
      run_binary(op, params, out, convert_dtype(a, compute), IterInput(b.item(), compute));
      return out;
    }
    if (is_cpu_scalar(a)) {
      Tensor out = empty_tensor(b.sizes(), out_dtype, b.device());
      run_binary(op, params, out, IterInput(a.item(), compute), convert_dtype(b, compute));
      return out;
    }
    check_same_device(a, b, name);
  }
  Tensor out = empty_tensor(broadcast_shapes(a.sizes(), b.sizes()), out_dtype, a.device());
  run_binary(op, params, out, convert_dtype(a, compute), convert_dtype(b, compute));
  return out;
}

Tensor binary_op(BinaryOp op, const char* name, const Tensor& a, const Scalar& b,
                 const OpParams& params, bool scalar_first) {
  check_defined(a, name, "self");
  DType compute =
      binary_compute_dtype(op, result_type(a, b), a.dtype() == DType::Bool, b.isBoolean());
  DType out_dtype = binary_out_dtype(op, compute, name);
  Tensor out = empty_tensor(a.sizes(), out_dtype, a.device());
  Tensor input = convert_dtype(a, compute);
  if (scalar_first) {
    run_binary(op, params, out, IterInput(b, compute), input);
  } else {
    run_binary(op, params, out, input, IterInput(b, compute));
  }
  return out;
}

void binary_op_into(BinaryOp op, const char* name, const Tensor& self, const IterInput& other,
                    const OpParams& params) {
  DType other_dtype = other.tensor ? other.tensor->dtype() : other.scalar.dtype();
  DType common = binary_compute_dtype(
      op, other.tensor ? result_type(self, *other.tensor) : result_type(self, other.scalar),
      self.dtype() == DType::Bool, other_dtype == DType::Bool);
  AXON_CHECK(can_cast(common, self.dtype()),
             "{}: result type {} can't be cast to the desired output type {}", name, common,
             self.dtype());
  AXON_CHECK(binary_out_dtype(op, self.dtype(), name) == self.dtype(),
             "{}: the result is bool but the output is {}", name, self.dtype());
  if (other.tensor == nullptr) {
    run_binary(op, params, self, self, IterInput(other.scalar, self.dtype()));
    return;
  }
  const Tensor& b = *other.tensor;
  if (b.device() != self.device() && is_cpu_scalar(b)) {
    run_binary(op, params, self, self, IterInput(b.item(), self.dtype()));
    return;
  }
  check_same_device(self, b, name);
  DimVector shape = broadcast_shapes(self.sizes(), b.sizes());
  AXON_CHECK(shape.ref() == self.sizes(),
             "{}: output with shape {} doesn't match the broadcast shape {}", name, self.sizes(),
             shape.ref());
  run_binary(op, params, self, self, unaliased(convert_dtype(b, self.dtype()), self));
}

Tensor unary_op(UnaryOp op, const char* name, const Tensor& self, const OpParams& params) {
  check_defined(self, name);
  unsigned types = kernels::kUnaryOpTypes[static_cast<int>(op)];
  DType compute = self.dtype();
  if (!kernels::type_in(types, compute) && types == kernels::kFloatingTypes) {
    compute = get_default_dtype();  // exp(int tensor) is a float tensor, as in PyTorch
  }
  AXON_CHECK(!(op == UnaryOp::Neg && compute == DType::Bool),
             "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
             "to invert a mask, use the `~` or `logical_not()` operator instead.");
  check_op_dtype(types, compute, name);
  DType out_dtype = kernels::kUnaryOpReturnsBool[static_cast<int>(op)] ? DType::Bool : compute;
  Tensor out = empty_tensor(self.sizes(), out_dtype, self.device());
  kernels::unary_kernel(self.device())(op, params,
                                       make_elementwise_iter(out, {convert_dtype(self, compute)}));
  return out;
}

void unary_op_into(UnaryOp op, const char* name, const Tensor& self, const OpParams& params) {
  check_defined(self, name);
  unsigned types = kernels::kUnaryOpTypes[static_cast<int>(op)];
  AXON_CHECK(kernels::type_in(types, self.dtype()),
             "{}: not implemented in place for {} tensors (the result would not be {})", name,
             self.dtype(), self.dtype());
  kernels::unary_kernel(self.device())(op, params, make_elementwise_iter(self, {self}));
}

void check_inplace(const Tensor& self, const char* name) {
  check_defined(self, name, "self");
  for (int64_t d = 0; d < self.dim(); ++d) {
    AXON_CHECK(self.stride(d) != 0 || self.size(d) <= 1,
               "{}: unsupported operation: more than one element of the written-to tensor "
               "refers to a single memory location. Please clone() the tensor before performing "
               "the operation.",
               name);
  }
}

void check_inplace_autograd(const Tensor& self, const char* name) {
  AXON_CHECK(!(self.is_leaf() && self.requires_grad()),
             "a leaf Variable that requires grad is being used in an in-place operation ({}). "
             "Wrap the update in axon::NoGradGuard if it is not meant to be differentiated.",
             name);
  if (autograd::detail::is_recorded_view(self)) autograd::detail::check_view_inplace(self, name);
}

const Tensor& inplace_result(const Tensor& self, const Tensor& result, const char* name) {
  if (autograd::detail::is_recorded_view(self)) {
    return autograd::detail::inplace_view_result(self, result, name);
  }
  AXON_CHECK(result.sizes() == self.sizes(),
             "{}: output with shape {} doesn't match the broadcast shape {}", name, self.sizes(),
             result.sizes());
  {
    NoGradGuard no_grad;
    self.copy_(result);
  }
  self.unsafeGetTensorImpl()->set_grad_fn(result.grad_fn(), result.output_nr());
  return self;
}

}  // namespace detail

using detail::binary_op;
using detail::unary_op;

namespace {

// The gradient for an input of shape `sizes` and dtype `dtype` from a broadcast result's.
Tensor reduce_grad(const Tensor& grad, IntArrayRef sizes, DType dtype) {
  return detail::convert_dtype(detail::sum_to(grad, sizes), dtype);
}

struct InputInfo {
  DimVector sizes;
  DType dtype;
  explicit InputInfo(const Tensor& t) : sizes(t.sizes()), dtype(t.dtype()) {}
};

void check_alpha(const Tensor& self, const Scalar& alpha, const char* name) {
  AXON_CHECK(!(alpha.isFloatingPoint() && !self.is_floating_point()),
             "{}: for integral input tensors, argument alpha must not be a floating point number",
             name);
}

// Runs `kernel` (which writes into self) when autograd does not record. When it does, runs
// `out_of_place` on a clone of self's current value, so that whatever the op saves for backward
// is not the memory about to be overwritten, and makes self take the result's values and
// history.
template <typename Kernel, typename OutOfPlace>
const Tensor& apply_inplace(const Tensor& self, const char* name, bool record_graph,
                            const Kernel& kernel, const OutOfPlace& out_of_place) {
  detail::check_inplace(self, name);
  if (record_graph) {
    detail::check_inplace_autograd(self, name);
    Tensor value = autograd::detail::is_recorded_view(self)
                       ? autograd::detail::current_view_value(self, name)
                       : self;
    Tensor result = out_of_place(value.clone());
    return detail::inplace_result(self, result, name);
  }
  kernel();
  self.storage()->bump_version();
  return self;
}

bool records(const Tensor& self, const Tensor& other) { return should_record({&self, &other}); }

// The other operand of an in-place op as its out-of-place form must see it: when it shares
// memory with self (x.mul_(x)), its value before the write.
Tensor operand_for(const Tensor& other, const Tensor& self, const Tensor& self_value) {
  if (other.is_same(self)) return self_value;
  return other.storage() == self.storage() ? other.clone() : other;
}
const Scalar& operand_for(const Scalar& other, const Tensor& /*self*/, const Tensor& /*value*/) {
  return other;
}
bool records(const Tensor& self) { return should_record({&self}); }

}  // namespace

// ---- arithmetic -----------------------------------------------------------------------------

Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_alpha(self, alpha, "add");
  Tensor out = binary_op(BinaryOp::Add, "add", self, other, {alpha.toDouble()});
  if (records(self, other)) {
    record(
        "AddBackward0", out, {&self, &other}, {},
        [a = InputInfo(self), b = InputInfo(other), alpha](const BackwardContext& ctx) {
          const Tensor& g = ctx.grad();
          Tensor gb;
          if (ctx.needs_grad(1)) {
            gb = reduce_grad(alpha.equal(1) ? g : g * alpha, b.sizes, b.dtype);
          }
          return variable_list{ctx.needs_grad(0) ? reduce_grad(g, a.sizes, a.dtype) : Tensor(), gb};
        });
  }
  return out;
}

Tensor add(const Tensor& self, const Scalar& other, const Scalar& alpha) {
  check_alpha(self, alpha, "add");
  Tensor out = binary_op(BinaryOp::Add, "add", self, other, {alpha.toDouble()}, false);
  if (records(self)) {
    record("AddBackward1", out, {&self}, {}, [dtype = self.dtype()](const BackwardContext& ctx) {
      return variable_list{detail::convert_dtype(ctx.grad(), dtype)};
    });
  }
  return out;
}

Tensor sub(const Tensor& self, const Tensor& other, const Scalar& alpha) {
  check_alpha(self, alpha, "sub");
  Tensor out = binary_op(BinaryOp::Sub, "sub", self, other, {alpha.toDouble()});
  if (records(self, other)) {
    record(
        "SubBackward0", out, {&self, &other}, {},
        [a = InputInfo(self), b = InputInfo(other), alpha](const BackwardContext& ctx) {
          const Tensor& g = ctx.grad();
          Tensor gb;
          if (ctx.needs_grad(1)) gb = reduce_grad(g * (-alpha), b.sizes, b.dtype);
          return variable_list{ctx.needs_grad(0) ? reduce_grad(g, a.sizes, a.dtype) : Tensor(), gb};
        });
  }
  return out;
}

Tensor sub(const Tensor& self, const Scalar& other, const Scalar& alpha) {
  check_alpha(self, alpha, "sub");
  Tensor out = binary_op(BinaryOp::Sub, "sub", self, other, {alpha.toDouble()}, false);
  if (records(self)) {
    record("SubBackward1", out, {&self}, {}, [dtype = self.dtype()](const BackwardContext& ctx) {
      return variable_list{detail::convert_dtype(ctx.grad(), dtype)};
    });
  }
  return out;
}

// other - alpha * self
Tensor rsub(const Tensor& self, const Scalar& other, const Scalar& alpha) {
  check_alpha(self, alpha, "rsub");
  Tensor out = binary_op(BinaryOp::Sub, "rsub", self, other, {alpha.toDouble()}, true);
  if (records(self)) {
    record("RsubBackward1", out, {&self}, {},
           [dtype = self.dtype(), alpha](const BackwardContext& ctx) {
             return variable_list{detail::convert_dtype(ctx.grad() * (-alpha), dtype)};
           });
  }
  return out;
}

Tensor mul(const Tensor& self, const Tensor& other) {
  Tensor out = binary_op(BinaryOp::Mul, "mul", self, other, {});
  if (records(self, other)) {
    record("MulBackward0", out, {&self, &other}, {self, other},
           [a = InputInfo(self), b = InputInfo(other)](const BackwardContext& ctx) {
             const Tensor& g = ctx.grad();
             Tensor ga, gb;
             if (ctx.needs_grad(0)) ga = reduce_grad(g * ctx.saved(1), a.sizes, a.dtype);
             if (ctx.needs_grad(1)) gb = reduce_grad(g * ctx.saved(0), b.sizes, b.dtype);
             return variable_list{ga, gb};
           });
  }
  return out;
}

Tensor mul(const Tensor& self, const Scalar& other) {
  Tensor out = binary_op(BinaryOp::Mul, "mul", self, other, {}, false);
  if (records(self)) {
    record("MulBackward1", out, {&self}, {},
           [dtype = self.dtype(), other](const BackwardContext& ctx) {
             return variable_list{detail::convert_dtype(ctx.grad() * other, dtype)};
           });
  }
  return out;
}

Tensor div(const Tensor& self, const Tensor& other) {
  Tensor out = binary_op(BinaryOp::Div, "div", self, other, {});
  if (records(self, other)) {
    record("DivBackward0", out, {&self, &other}, {self, other},
           [a = InputInfo(self), b = InputInfo(other)](const BackwardContext& ctx) {
             const Tensor& g = ctx.grad();
             Tensor other_value = ctx.saved(1);
             Tensor ga, gb;
             if (ctx.needs_grad(0)) ga = reduce_grad(g / other_value, a.sizes, a.dtype);
             if (ctx.needs_grad(1)) {
               gb = reduce_grad(-g * ctx.saved(0) / (other_value * other_value), b.sizes, b.dtype);
             }
             return variable_list{ga, gb};
           });
  }
  return out;
}

Tensor div(const Tensor& self, const Scalar& other) {
  Tensor out = binary_op(BinaryOp::Div, "div", self, other, {}, false);
  if (records(self)) {
    record("DivBackward1", out, {&self}, {},
           [dtype = self.dtype(), other](const BackwardContext& ctx) {
             return variable_list{detail::convert_dtype(ctx.grad() / other, dtype)};
           });
  }
  return out;
}

Tensor operator/(const Scalar& a, const Tensor& b) {
  Tensor out = binary_op(BinaryOp::Div, "div", b, a, {}, true);
  if (records(b)) {
    record("DivBackward0", out, {&b}, {b, out}, [dtype = b.dtype()](const BackwardContext& ctx) {
      return variable_list{detail::convert_dtype(-ctx.grad() * ctx.saved(1) / ctx.saved(0), dtype)};
    });
  }
  return out;
}

// PyTorch's shortcuts for common exponents of a floating-point tensor (aten's pow with a scalar
// exponent: a copy, products, sqrt and reciprocals), so that results agree with PyTorch's to the
// bit on either device; other exponents go to the pow kernel. Records nothing.
Tensor pow_by_scalar(const Tensor& self, const Scalar& exponent) {
  NoGradGuard no_grad;
  if (self.is_floating_point()) {
    if (exponent.equal(0)) return ones_like(self);
    if (exponent.equal(1)) return self.clone();
    if (exponent.equal(2)) return self * self;
    if (exponent.equal(3)) return self * self * self;
    if (exponent.equal(0.5)) return sqrt(self);
    if (exponent.equal(-0.5)) return rsqrt(self);
    if (exponent.equal(-1)) return 1 / self;
    if (exponent.equal(-2)) return 1 / (self * self);
  }
  return binary_op(BinaryOp::Pow, "pow", self, exponent, {}, false);
}

Tensor pow(const Tensor& self, const Scalar& exponent) {
  AXON_CHECK(self.is_floating_point() || exponent.isFloatingPoint() || exponent.toLong() >= 0,
             "pow: Integers to negative integer powers are not allowed.");
  Tensor out = pow_by_scalar(self, exponent);
  if (records(self)) {
    record("PowBackward0", out, {&self}, {self}, [exponent](const BackwardContext& ctx) {
      if (exponent.equal(0)) return variable_list{zeros_like(ctx.grad())};
      Tensor x = ctx.saved(0);
      double e = exponent.toDouble();
      return variable_list{ctx.grad() * (x.pow(e - 1) * e)};
    });
  }
  return out;
}

Tensor pow(const Tensor& self, const Tensor& exponent) {
  Tensor out = binary_op(BinaryOp::Pow, "pow", self, exponent, {});
  if (records(self, exponent)) {
    record("PowBackward1", out, {&self, &exponent}, {self, exponent, out},
           [a = InputInfo(self), b = InputInfo(exponent)](const BackwardContext& ctx) {
             const Tensor& g = ctx.grad();
             Tensor x = ctx.saved(0), e = ctx.saved(1);
             Tensor ga, gb;
             if (ctx.needs_grad(0)) ga = reduce_grad(g * e * x.pow(e - 1), a.sizes, a.dtype);
             if (ctx.needs_grad(1)) {
               // d/de x^e = x^e log x, taken as 0 where x == 0 and e >= 0 (PyTorch's rule).
               Tensor d = ctx.saved(2) * x.log();
               d = where(logical_and(x == 0, e >= 0), zeros_like(d), d);
               gb = reduce_grad(g * d, b.sizes, b.dtype);
             }
             return variable_list{ga, gb};
           });
  }
  return out;
}

Tensor pow(const Scalar& self, const Tensor& exponent) {
  Tensor out = binary_op(BinaryOp::Pow, "pow", exponent, self, {}, true);
  if (records(exponent)) {
    record("PowBackward2", out, {&exponent}, {exponent, out},
           [base = self, dtype = exponent.dtype()](const BackwardContext& ctx) {
             Tensor e = ctx.saved(0);
             Tensor d = ctx.saved(1) * std::log(base.toDouble());
             if (base.toDouble() == 0) d = where(e >= 0, zeros_like(d), d);
             return variable_list{detail::convert_dtype(ctx.grad() * d, dtype)};
           });
  }
  return out;
}

namespace {
// maximum/minimum backward: the gradient goes to the larger (smaller) input, half to each on
// ties, as PyTorch's derivatives.yaml has it.
Tensor select_grad(const Tensor& g, const Tensor& mine, const Tensor& theirs, bool is_max) {
  Tensor won = is_max ? mine > theirs : mine < theirs;
  Tensor tie = mine == theirs;
  Tensor zero = zeros_like(g);
  return where(won, g, where(tie, g / 2, zero));
}

Tensor maximum_minimum(const Tensor& self, const Tensor& other, bool is_max) {
  const char* name = is_max ? "maximum" : "minimum";
  Tensor out = binary_op(is_max ? BinaryOp::Maximum : BinaryOp::Minimum, name, self, other, {});
  if (records(self, other)) {
    record(is_max ? "MaximumBackward0" : "MinimumBackward0", out, {&self, &other}, {self, other},
           [a = InputInfo(self), b = InputInfo(other), is_max](const BackwardContext& ctx) {
             Tensor x = ctx.saved(0), y = ctx.saved(1);
             Tensor ga, gb;
             if (ctx.needs_grad(0)) {
               ga = reduce_grad(select_grad(ctx.grad(), x, y, is_max), a.sizes, a.dtype);
             }
             if (ctx.needs_grad(1)) {
               gb = reduce_grad(select_grad(ctx.grad(), y, x, is_max), b.sizes, b.dtype);
             }
             return variable_list{ga, gb};
           });
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& self, const Tensor& other) {
  return maximum_minimum(self, other, true);
}
Tensor minimum(const Tensor& self, const Tensor& other) {
  return maximum_minimum(self, other, false);
}

// ---- in-place arithmetic --------------------------------------------------------------------

const Tensor& Tensor::add_(const Tensor& other, const Scalar& alpha) const {
  check_alpha(*this, alpha, "add_");
  return apply_inplace(
      *this, "add_", records(*this, other),
      [&] { detail::binary_op_into(BinaryOp::Add, "add_", *this, other, {alpha.toDouble()}); },
      [&](const Tensor& in) { return axon::add(in, operand_for(other, *this, in), alpha); });
}
const Tensor& Tensor::add_(const Scalar& other, const Scalar& alpha) const {
  check_alpha(*this, alpha, "add_");
  return apply_inplace(
      *this, "add_", records(*this),
      [&] {
        detail::binary_op_into(BinaryOp::Add, "add_", *this, IterInput(other, DType::Float64),
                               {alpha.toDouble()});
      },
      [&](const Tensor& in) { return axon::add(in, operand_for(other, *this, in), alpha); });
}
const Tensor& Tensor::sub_(const Tensor& other, const Scalar& alpha) const {
  check_alpha(*this, alpha, "sub_");
  return apply_inplace(
      *this, "sub_", records(*this, other),
      [&] { detail::binary_op_into(BinaryOp::Sub, "sub_", *this, other, {alpha.toDouble()}); },
      [&](const Tensor& in) { return axon::sub(in, operand_for(other, *this, in), alpha); });
}
const Tensor& Tensor::sub_(const Scalar& other, const Scalar& alpha) const {
  check_alpha(*this, alpha, "sub_");
  return apply_inplace(
      *this, "sub_", records(*this),
      [&] {
        detail::binary_op_into(BinaryOp::Sub, "sub_", *this, IterInput(other, DType::Float64),
                               {alpha.toDouble()});
      },
      [&](const Tensor& in) { return axon::sub(in, operand_for(other, *this, in), alpha); });
}
const Tensor& Tensor::mul_(const Tensor& other) const {
  return apply_inplace(
      *this, "mul_", records(*this, other),
      [&] { detail::binary_op_into(BinaryOp::Mul, "mul_", *this, other, {}); },
      [&](const Tensor& in) { return axon::mul(in, operand_for(other, *this, in)); });
}
const Tensor& Tensor::mul_(const Scalar& other) const {
  return apply_inplace(
      *this, "mul_", records(*this),
      [&] {
        detail::binary_op_into(BinaryOp::Mul, "mul_", *this, IterInput(other, DType::Float64), {});
      },
      [&](const Tensor& in) { return axon::mul(in, operand_for(other, *this, in)); });
}
const Tensor& Tensor::div_(const Tensor& other) const {
  return apply_inplace(
      *this, "div_", records(*this, other),
      [&] { detail::binary_op_into(BinaryOp::Div, "div_", *this, other, {}); },
      [&](const Tensor& in) { return axon::div(in, operand_for(other, *this, in)); });
}
const Tensor& Tensor::div_(const Scalar& other) const {
  return apply_inplace(
      *this, "div_", records(*this),
      [&] {
        detail::binary_op_into(BinaryOp::Div, "div_", *this, IterInput(other, DType::Float64), {});
      },
      [&](const Tensor& in) { return axon::div(in, operand_for(other, *this, in)); });
}
const Tensor& Tensor::pow_(const Tensor& exponent) const {
  return apply_inplace(
      *this, "pow_", records(*this, exponent),
      [&] { detail::binary_op_into(BinaryOp::Pow, "pow_", *this, exponent, {}); },
      [&](const Tensor& in) { return axon::pow(in, operand_for(exponent, *this, in)); });
}
const Tensor& Tensor::pow_(const Scalar& exponent) const {
  return apply_inplace(
      *this, "pow_", records(*this),
      [&] {
        detail::binary_op_into(BinaryOp::Pow, "pow_", *this, IterInput(exponent, DType::Float64),
                               {});
      },
      [&](const Tensor& in) { return axon::pow(in, operand_for(exponent, *this, in)); });
}

// ---- unary ----------------------------------------------------------------------------------
namespace {

// Declares a unary op `name`, its in-place form and its backward in terms of the gradient `g`,
// the input `x` and the output `y` (both saved only when the formula uses them).
template <typename Backward>
Tensor unary_with_grad(UnaryOp op, const char* name, const char* node_name, const Tensor& self,
                       bool save_input, bool save_output, Backward backward,
                       const OpParams& params = {}) {
  Tensor out = unary_op(op, name, self, params);
  if (records(self)) {
    Tensor no_tensor;
    record(node_name, out, {&self}, {save_input ? self : no_tensor, save_output ? out : no_tensor},
           [backward, dtype = self.dtype()](const BackwardContext& ctx) {
             return variable_list{
                 detail::convert_dtype(backward(ctx.grad(), ctx.saved(0), ctx.saved(1)), dtype)};
           });
  }
  return out;
}

}  // namespace

namespace detail {

// relu', sigmoid' and tanh' as one fused pass over (grad, output); recorded so that
// create_graph works through them.
Tensor threshold_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_op(BinaryOp::ReluBackward, "relu_backward", grad, output, {});
  if (should_record({&grad})) {
    record("ThresholdBackwardBackward0", out, {&grad, &output}, {output},
           [](const BackwardContext& ctx) {
             return variable_list{threshold_backward(ctx.grad(), ctx.saved(0)), Tensor()};
           });
  }
  return out;
}

Tensor sigmoid_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_op(BinaryOp::SigmoidBackward, "sigmoid_backward", grad, output, {});
  if (should_record({&grad, &output})) {
    record("SigmoidBackwardBackward0", out, {&grad, &output}, {grad, output},
           [](const BackwardContext& ctx) {
             Tensor g = ctx.saved(0), y = ctx.saved(1);
             return variable_list{sigmoid_backward(ctx.grad(), y), ctx.grad() * g * (1 - 2 * y)};
           });
  }
  return out;
}

Tensor tanh_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_op(BinaryOp::TanhBackward, "tanh_backward", grad, output, {});
  if (should_record({&grad, &output})) {
    record("TanhBackwardBackward0", out, {&grad, &output}, {grad, output},
           [](const BackwardContext& ctx) {
             Tensor g = ctx.saved(0), y = ctx.saved(1);
             return variable_list{tanh_backward(ctx.grad(), y), ctx.grad() * g * y * (-2)};
           });
  }
  return out;
}

}  // namespace detail

Tensor neg(const Tensor& self) {
  return unary_with_grad(UnaryOp::Neg, "neg", "NegBackward0", self, false, false,
                         [](const Tensor& g, const Tensor&, const Tensor&) { return -g; });
}
Tensor exp(const Tensor& self) {
  return unary_with_grad(UnaryOp::Exp, "exp", "ExpBackward0", self, false, true,
                         [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; });
}
Tensor log(const Tensor& self) {
  return unary_with_grad(UnaryOp::Log, "log", "LogBackward0", self, true, false,
                         [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; });
}
Tensor log1p(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Log1p, "log1p", "Log1PBackward0", self, true, false,
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1); });
}
Tensor sqrt(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Sqrt, "sqrt", "SqrtBackward0", self, false, true,
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (y * 2); });
}
Tensor rsqrt(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Rsqrt, "rsqrt", "RsqrtBackward0", self, false, true,
      [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y.pow(3) * (-0.5); });
}
Tensor abs(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Abs, "abs", "AbsBackward0", self, true, false,
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g * x.sign(); });
}
Tensor sign(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Sign, "sign", "SignBackward0", self, false, false,
      [](const Tensor& g, const Tensor&, const Tensor&) { return zeros_like(g); });
}
Tensor sin(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Sin, "sin", "SinBackward0", self, true, false,
      [](const Tensor& g, const Tensor& x, const Tensor&) { return g * x.cos(); });
}
Tensor cos(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Cos, "cos", "CosBackward0", self, true, false,
      [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * x.sin(); });
}
Tensor tanh(const Tensor& self) {
  return unary_with_grad(
      UnaryOp::Tanh, "tanh", "TanhBackward0", self, false, true,
      [](const Tensor& g, const Tensor&, const Tensor& y) { return detail::tanh_backward(g, y); });
}
Tensor sigmoid(const Tensor& self) {
  return unary_with_grad(UnaryOp::Sigmoid, "sigmoid", "SigmoidBackward0", self, false, true,
                         [](const Tensor& g, const Tensor&, const Tensor& y) {
                           return detail::sigmoid_backward(g, y);
                         });
}
Tensor relu(const Tensor& self) {
  return unary_with_grad(UnaryOp::Relu, "relu", "ReluBackward0", self, false, true,
                         [](const Tensor& g, const Tensor&, const Tensor& y) {
                           return detail::threshold_backward(g, y);
                         });
}
// Parameterised activations: the forward and its (grad, input) backward are functors; the
// backward is the fused kernel unless a graph is being built through it (create_graph), where
// it is written in differentiable ops instead.
namespace {
template <typename Composite>
Tensor activation_backward(BinaryOp op, const char* name, const Tensor& grad, const Tensor& x,
                           const OpParams& params, const Composite& composite) {
  if (should_record({&grad, &x})) return composite(grad, x);
  return binary_op(op, name, grad, x, params);
}

template <typename Composite>
Tensor activation(UnaryOp op, BinaryOp backward_op, const char* name, const char* node_name,
                  const Tensor& self, const OpParams& params, const Composite& composite) {
  detail::check_defined(self, name);
  AXON_CHECK(self.is_floating_point(), "{}: expected a floating-point tensor, got {}", name,
             self.dtype());
  return unary_with_grad(
      op, name, node_name, self, true, false,
      [=](const Tensor& g, const Tensor& x, const Tensor&) {
        return activation_backward(backward_op, name, g, x, params, composite);
      },
      params);
}
}  // namespace

Tensor leaky_relu(const Tensor& self, const Scalar& negative_slope) {
  double slope = negative_slope.toDouble();
  return activation(
      UnaryOp::LeakyRelu, BinaryOp::LeakyReluBackward, "leaky_relu", "LeakyReluBackward0", self,
      {slope}, [slope](const Tensor& g, const Tensor& x) { return where(x > 0, g, g * slope); });
}
Tensor elu(const Tensor& self, const Scalar& alpha) {
  double a = alpha.toDouble();
  return activation(
      UnaryOp::Elu, BinaryOp::EluBackward, "elu", "EluBackward0", self, {a},
      [a](const Tensor& g, const Tensor& x) { return where(x <= 0, g * a * exp(x), g); });
}
Tensor gelu(const Tensor& self, std::string_view approximate) {
  AXON_CHECK(approximate == "none" || approximate == "tanh",
             "gelu: approximate must be 'none' or 'tanh', got '{}'", approximate);
  double tanh_approximation = approximate == "tanh" ? 1 : 0;
  return activation(UnaryOp::Gelu, BinaryOp::GeluBackward, "gelu", "GeluBackward0", self,
                    {tanh_approximation}, [](const Tensor&, const Tensor&) -> Tensor {
                      AXON_ERROR("gelu: double backward (create_graph) is not supported");
                    });
}
Tensor silu(const Tensor& self) {
  return activation(UnaryOp::Silu, BinaryOp::SiluBackward, "silu", "SiluBackward0", self, {},
                    [](const Tensor& g, const Tensor& x) {
                      Tensor s = sigmoid(x);
                      return g * s * (1 + x * (1 - s));
                    });
}
Tensor log_sigmoid(const Tensor& self) {
  return activation(UnaryOp::LogSigmoid, BinaryOp::LogSigmoidBackward, "log_sigmoid",
                    "LogSigmoidBackward0", self, {},
                    [](const Tensor& g, const Tensor& x) { return g * sigmoid(-x); });
}

const Tensor& leaky_relu_(const Tensor& self, const Scalar& negative_slope) {
  return apply_inplace(
      self, "leaky_relu_", records(self),
      [&] {
        detail::unary_op_into(UnaryOp::LeakyRelu, "leaky_relu_", self, {negative_slope.toDouble()});
      },
      [&](const Tensor& in) { return leaky_relu(in, negative_slope); });
}
const Tensor& elu_(const Tensor& self, const Scalar& alpha) {
  return apply_inplace(
      self, "elu_", records(self),
      [&] { detail::unary_op_into(UnaryOp::Elu, "elu_", self, {alpha.toDouble()}); },
      [&](const Tensor& in) { return elu(in, alpha); });
}

Tensor square(const Tensor& self) {
  return unary_with_grad(UnaryOp::Square, "square", "PowBackward0", self, true, false,
                         [](const Tensor& g, const Tensor& x, const Tensor&) { return g * x * 2; });
}
Tensor logical_not(const Tensor& self) {
  return unary_op(UnaryOp::LogicalNot, "logical_not", self);
}
Tensor isnan(const Tensor& self) { return unary_op(UnaryOp::IsNan, "isnan", self); }
Tensor isinf(const Tensor& self) { return unary_op(UnaryOp::IsInf, "isinf", self); }
Tensor isfinite(const Tensor& self) { return unary_op(UnaryOp::IsFinite, "isfinite", self); }

Tensor clamp(const Tensor& self, const std::optional<Scalar>& min,
             const std::optional<Scalar>& max) {
  AXON_CHECK(min || max, "clamp: at least one of 'min' or 'max' must not be None");
  if (!max) return clamp_min(self, *min);
  if (!min) return clamp_max(self, *max);
  Tensor input = self;
  if (!self.is_floating_point() && (min->isFloatingPoint() || max->isFloatingPoint())) {
    input = detail::convert_dtype(self, get_default_dtype());
  }
  double lo = min->toDouble(), hi = max->toDouble();
  return unary_with_grad(UnaryOp::Clamp, "clamp", "ClampBackward1", input, true, false,
                         [lo, hi](const Tensor& g, const Tensor& x, const Tensor&) {
                           return where(logical_and(x >= lo, x <= hi), g, zeros_like(g));
                         },
                         {lo, hi});
}

Tensor clamp_min(const Tensor& self, const Scalar& min) {
  Tensor input = self;
  if (!self.is_floating_point() && min.isFloatingPoint()) {
    input = detail::convert_dtype(self, get_default_dtype());
  }
  double lo = min.toDouble();
  return unary_with_grad(UnaryOp::ClampMin, "clamp_min", "ClampMinBackward0", input, true, false,
                         [lo](const Tensor& g, const Tensor& x, const Tensor&) {
                           return where(x >= lo, g, zeros_like(g));
                         },
                         {lo});
}

Tensor clamp_max(const Tensor& self, const Scalar& max) {
  Tensor input = self;
  if (!self.is_floating_point() && max.isFloatingPoint()) {
    input = detail::convert_dtype(self, get_default_dtype());
  }
  double hi = max.toDouble();
  return unary_with_grad(UnaryOp::ClampMax, "clamp_max", "ClampMaxBackward0", input, true, false,
                         [hi](const Tensor& g, const Tensor& x, const Tensor&) {
                           return where(x <= hi, g, zeros_like(g));
                         },
                         {hi});
}

namespace {
// An in-place clamp cannot put a fractional bound into an integer tensor.
void check_inplace_bound(const Tensor& self, const std::optional<Scalar>& bound, const char* name) {
  AXON_CHECK(self.is_floating_point() || !bound || !bound->isFloatingPoint(),
             "{}: result type {} can't be cast to the desired output type {}", name,
             get_default_dtype(), self.dtype());
}
}  // namespace

// In-place unary ops: the kernel when nothing is recorded, else the out-of-place op.
#define AXON_UNARY_INPLACE(method, name, fn, op, params)                                      \
  const Tensor& Tensor::method const {                                                        \
    return apply_inplace(                                                                     \
        *this, name, records(*this), [&] { detail::unary_op_into(op, name, *this, params); }, \
        [&](const Tensor& in) { return fn; });                                                \
  }
AXON_UNARY_INPLACE(neg_(), "neg_", axon::neg(in), UnaryOp::Neg, {})
AXON_UNARY_INPLACE(exp_(), "exp_", axon::exp(in), UnaryOp::Exp, {})
AXON_UNARY_INPLACE(log_(), "log_", axon::log(in), UnaryOp::Log, {})
AXON_UNARY_INPLACE(sqrt_(), "sqrt_", axon::sqrt(in), UnaryOp::Sqrt, {})
AXON_UNARY_INPLACE(rsqrt_(), "rsqrt_", axon::rsqrt(in), UnaryOp::Rsqrt, {})
AXON_UNARY_INPLACE(abs_(), "abs_", axon::abs(in), UnaryOp::Abs, {})
AXON_UNARY_INPLACE(sign_(), "sign_", axon::sign(in), UnaryOp::Sign, {})
AXON_UNARY_INPLACE(sin_(), "sin_", axon::sin(in), UnaryOp::Sin, {})
AXON_UNARY_INPLACE(cos_(), "cos_", axon::cos(in), UnaryOp::Cos, {})
AXON_UNARY_INPLACE(tanh_(), "tanh_", axon::tanh(in), UnaryOp::Tanh, {})
AXON_UNARY_INPLACE(sigmoid_(), "sigmoid_", axon::sigmoid(in), UnaryOp::Sigmoid, {})
AXON_UNARY_INPLACE(relu_(), "relu_", axon::relu(in), UnaryOp::Relu, {})
#undef AXON_UNARY_INPLACE

const Tensor& Tensor::clamp_min_(const Scalar& min) const {
  check_inplace_bound(*this, min, "clamp_min_");
  return apply_inplace(
      *this, "clamp_min_", records(*this),
      [&] { detail::unary_op_into(UnaryOp::ClampMin, "clamp_min_", *this, {min.toDouble()}); },
      [&](const Tensor& in) { return axon::clamp_min(in, min); });
}

const Tensor& Tensor::clamp_max_(const Scalar& max) const {
  check_inplace_bound(*this, max, "clamp_max_");
  return apply_inplace(
      *this, "clamp_max_", records(*this),
      [&] { detail::unary_op_into(UnaryOp::ClampMax, "clamp_max_", *this, {max.toDouble()}); },
      [&](const Tensor& in) { return axon::clamp_max(in, max); });
}

const Tensor& Tensor::clamp_(const std::optional<Scalar>& min,
                             const std::optional<Scalar>& max) const {
  AXON_CHECK(min || max, "clamp_: at least one of 'min' or 'max' must not be None");
  if (!max) return clamp_min_(*min);
  if (!min) return clamp_max_(*max);
  check_inplace_bound(*this, min, "clamp_");
  check_inplace_bound(*this, max, "clamp_");
  return apply_inplace(
      *this, "clamp_", records(*this),
      [&] {
        detail::unary_op_into(UnaryOp::Clamp, "clamp_", *this, {min->toDouble(), max->toDouble()});
      },
      [&](const Tensor& in) { return axon::clamp(in, min, max); });
}

// ---- where and masked_fill ------------------------------------------------------------------

Tensor where(const Tensor& condition, const Tensor& self, const Tensor& other) {
  detail::check_defined(condition, "where", "condition");
  detail::check_defined(self, "where", "self");
  detail::check_defined(other, "where", "other");
  AXON_CHECK(condition.dtype() == DType::Bool,
             "where: expected condition to be a bool tensor, but got a {} tensor",
             condition.dtype());
  detail::check_same_device(condition, self, "where");
  detail::check_same_device(self, other, "where");
  DType dtype = result_type(self, other);
  DimVector shape =
      broadcast_shapes(broadcast_shapes(condition.sizes(), self.sizes()), other.sizes());
  Tensor out = detail::empty_tensor(shape, dtype, self.device());
  kernels::where_kernel(out.device())(detail::make_elementwise_iter(
      out, {condition, detail::convert_dtype(self, dtype), detail::convert_dtype(other, dtype)}));
  if (records(self, other)) {
    record("WhereBackward0", out, {&self, &other}, {condition},
           [a = InputInfo(self), b = InputInfo(other)](const BackwardContext& ctx) {
             Tensor c = ctx.saved(0);
             Tensor zero = zeros_like(ctx.grad());
             Tensor ga, gb;
             if (ctx.needs_grad(0)) ga = reduce_grad(where(c, ctx.grad(), zero), a.sizes, a.dtype);
             if (ctx.needs_grad(1)) gb = reduce_grad(where(c, zero, ctx.grad()), b.sizes, b.dtype);
             return variable_list{ga, gb};
           });
  }
  return out;
}

Tensor where(const Tensor& condition, const Scalar& self, const Tensor& other) {
  detail::check_defined(other, "where", "other");
  Tensor s = full({}, self, TensorOptions().dtype(result_type(other, self)).device(other.device()));
  return where(condition, s, other);
}

Tensor where(const Tensor& condition, const Tensor& self, const Scalar& other) {
  detail::check_defined(self, "where", "self");
  Tensor o = full({}, other, TensorOptions().dtype(result_type(self, other)).device(self.device()));
  return where(condition, self, o);
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value) {
  detail::check_defined(self, "masked_fill", "self");
  detail::check_defined(mask, "masked_fill", "mask");
  AXON_CHECK(mask.dtype() == DType::Bool, "masked_fill: expected a bool mask, but got a {} tensor",
             mask.dtype());
  broadcast_shapes(self.sizes(), mask.sizes());  // says which sizes disagree, self first
  Tensor fill = full({}, value, TensorOptions().dtype(self.dtype()).device(self.device()));
  Tensor out;
  {
    NoGradGuard no_grad;
    out = where(mask, fill, self);
  }
  if (records(self)) {
    record("MaskedFillBackward0", out, {&self}, {mask}, [](const BackwardContext& ctx) {
      return variable_list{ctx.grad().masked_fill(ctx.saved(0), 0)};
    });
  }
  return out;
}

const Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) const {
  detail::check_defined(mask, "masked_fill_", "mask");
  AXON_CHECK(broadcast_shapes(sizes(), mask.sizes()).ref() == sizes(),
             "masked_fill_: the mask of shape {} is not broadcastable to the tensor's shape {}",
             mask.sizes(), sizes());
  return apply_inplace(
      *this, "masked_fill_", records(*this),
      [&] {
        Tensor result = axon::masked_fill(*this, mask, value);
        NoGradGuard no_grad;
        copy_(result);
      },
      [&](const Tensor& in) { return axon::masked_fill(in, mask, value); });
}

// ---- comparisons and logic ------------------------------------------------------------------
#define AXON_COMPARISON_FN(fn, op)                               \
  Tensor fn(const Tensor& self, const Tensor& other) {           \
    return binary_op(BinaryOp::op, #fn, self, other, {});        \
  }                                                              \
  Tensor fn(const Tensor& self, const Scalar& other) {           \
    return binary_op(BinaryOp::op, #fn, self, other, {}, false); \
  }
AXON_COMPARISON_FN(eq, Eq)
AXON_COMPARISON_FN(ne, Ne)
AXON_COMPARISON_FN(lt, Lt)
AXON_COMPARISON_FN(le, Le)
AXON_COMPARISON_FN(gt, Gt)
AXON_COMPARISON_FN(ge, Ge)
#undef AXON_COMPARISON_FN

Tensor logical_and(const Tensor& self, const Tensor& other) {
  return binary_op(BinaryOp::LogicalAnd, "logical_and", self, other, {});
}
Tensor logical_or(const Tensor& self, const Tensor& other) {
  return binary_op(BinaryOp::LogicalOr, "logical_or", self, other, {});
}
Tensor logical_xor(const Tensor& self, const Tensor& other) {
  return binary_op(BinaryOp::LogicalXor, "logical_xor", self, other, {});
}

bool equal(const Tensor& self, const Tensor& other) {
  detail::check_defined(self, "equal", "self");
  detail::check_defined(other, "equal", "other");
  detail::check_same_device(self, other, "equal");
  if (self.sizes() != other.sizes()) return false;
  if (self.numel() == 0) return true;
  return eq(self, other).all().item<bool>();
}

Tensor isclose(const Tensor& self, const Tensor& other, double rtol, double atol, bool equal_nan) {
  AXON_CHECK(rtol >= 0 && atol >= 0, "isclose: rtol ({}) and atol ({}) must be non-negative", rtol,
             atol);
  NoGradGuard no_grad;
  Tensor close = self == other;
  if (equal_nan && (self.is_floating_point() || other.is_floating_point())) {
    close = logical_or(close, logical_and(self.isnan(), other.isnan()));
  }
  if (self.is_floating_point() || other.is_floating_point()) {
    Tensor diff = (self - other).abs();
    Tensor allowed = other.abs() * rtol + atol;
    close = logical_or(close, logical_and(diff.isfinite(), diff <= allowed));
  }
  return close;
}

bool allclose(const Tensor& self, const Tensor& other, double rtol, double atol, bool equal_nan) {
  Tensor close = isclose(self, other, rtol, atol, equal_nan);
  return close.numel() == 0 || close.all().item<bool>();
}

}  // namespace axon
