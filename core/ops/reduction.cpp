// Reductions (sum, mean, prod, max/min, arg-reductions, var/std, logsumexp, any/all) and
// softmax/log_softmax, with their backward formulas.
#include <algorithm>
#include <cmath>
#include <limits>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"
#include "kernels/common/reduce.h"
#include "kernels/common/softmax.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::reduce_kernel);
AXON_DEFINE_KERNEL(kernels::arg_reduce_kernel);
AXON_DEFINE_KERNEL(kernels::softmax_kernel);

using autograd::BackwardContext;
using autograd::record;
using kernels::ReduceOp;
using kernels::ReduceShape;

namespace {

bool records(const Tensor& self) { return autograd::should_record({&self}); }

// Which dims a reduction covers and how the input is laid out for the kernel.
struct ReducePlan {
  std::vector<bool> reduced;  // per input dim
  DimVector keep_sizes;       // output shape with keepdim
  DimVector out_sizes;        // output shape without keepdim
  ReduceShape shape;
  Tensor input;       // contiguous, [outer, size, inner]
  int64_t count = 1;  // elements reduced into each output
};

// `dims` empty means every dim.
ReducePlan plan(const Tensor& self, IntArrayRef dims, const char* op) {
  ReducePlan p;
  const int64_t ndim = self.dim();
  p.reduced.assign(static_cast<size_t>(ndim), dims.empty());
  for (int64_t d : dims) {
    int64_t w = detail::wrap_dim(d, ndim, op);
    if (ndim == 0) continue;
    AXON_CHECK(!p.reduced[w] || dims.empty(),
               "{}: dim {} appears multiple times in the list of "
               "dims",
               op, w);
    p.reduced[w] = true;
  }
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < ndim; ++d) {
    if (p.reduced[d]) {
      p.keep_sizes.push_back(1);
      p.count *= self.size(d);
      if (first < 0) first = d;
      last = d;
    } else {
      p.keep_sizes.push_back(self.size(d));
      p.out_sizes.push_back(self.size(d));
    }
  }
  bool block = first >= 0;
  for (int64_t d = first; block && d <= last; ++d) block = p.reduced[d];
  if (first < 0) {  // nothing to reduce (0-d input)
    p.input = self.contiguous();
    p.shape = {self.numel(), 1, 1};
  } else if (block && self.is_contiguous()) {
    p.input = self;
    for (int64_t d = 0; d < first; ++d) p.shape.outer *= self.size(d);
    for (int64_t d = first; d <= last; ++d) p.shape.size *= self.size(d);
    for (int64_t d = last + 1; d < ndim; ++d) p.shape.inner *= self.size(d);
  } else {
    DimVector order;
    for (int64_t d = 0; d < ndim; ++d) {
      if (!p.reduced[d]) order.push_back(d);
    }
    for (int64_t d = 0; d < ndim; ++d) {
      if (p.reduced[d]) order.push_back(d);
    }
    p.input = self.permute(order).contiguous();
    p.shape = {product(p.out_sizes), p.count, 1};
  }
  return p;
}

// Runs a value reduction of `self` (already in the output dtype) and shapes the result.
Tensor run_reduce(ReduceOp op, const Tensor& self, const ReducePlan& p, bool keepdim) {
  Tensor out =
      detail::empty_tensor(keepdim ? p.keep_sizes : p.out_sizes, self.dtype(), self.device());
  NoGradGuard no_grad;
  kernels::reduce_kernel(self.device())(op, out, detail::convert_dtype(p.input, self.dtype()),
                                        p.shape);
  return out;
}

// The gradient of a reduced output, unsqueezed back and expanded to the input's shape.
Tensor expand_grad(const Tensor& grad, IntArrayRef keep_sizes, IntArrayRef input_sizes) {
  return grad.reshape(keep_sizes).expand(input_sizes);
}

DType sum_dtype(const Tensor& self, std::optional<DType> dtype) {
  if (dtype) return *dtype;
  return is_floating_point(self.dtype()) ? self.dtype() : DType::Int64;
}

}  // namespace

// ---- sum and mean ---------------------------------------------------------------------------

Tensor sum(const Tensor& self, IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  detail::check_defined(self, "sum");
  ReducePlan p = plan(self, dim, "sum");
  DType out_dtype = sum_dtype(self, dtype);
  Tensor out = run_reduce(ReduceOp::Sum, detail::convert_dtype(self, out_dtype), p, keepdim);
  if (records(self)) {
    record(dim.empty() ? "SumBackward0" : "SumBackward1", out, {&self}, {},
           [keep = p.keep_sizes, sizes = DimVector(self.sizes()),
            in_dtype = self.dtype()](const BackwardContext& ctx) {
             return variable_list{
                 detail::convert_dtype(expand_grad(ctx.grad(), keep, sizes), in_dtype)};
           });
  }
  return out;
}

Tensor sum(const Tensor& self, std::optional<DType> dtype) { return sum(self, {}, false, dtype); }

Tensor mean(const Tensor& self, IntArrayRef dim, bool keepdim, std::optional<DType> dtype) {
  detail::check_defined(self, "mean");
  DType out_dtype = dtype.value_or(self.dtype());
  AXON_CHECK(is_floating_point(out_dtype),
             "mean(): could not infer output dtype. Input dtype must be either a floating point "
             "or complex dtype. Got: {}",
             out_dtype);
  ReducePlan p = plan(self, dim, "mean");
  Tensor out = run_reduce(ReduceOp::Sum, detail::convert_dtype(self, out_dtype), p, keepdim);
  {
    NoGradGuard no_grad;
    out.div_(static_cast<double>(p.count));
  }
  if (records(self)) {
    record(dim.empty() ? "MeanBackward0" : "MeanBackward1", out, {&self}, {},
           [keep = p.keep_sizes, sizes = DimVector(self.sizes()), count = p.count,
            in_dtype = self.dtype()](const BackwardContext& ctx) {
             return variable_list{detail::convert_dtype(
                 expand_grad(ctx.grad() / static_cast<double>(count), keep, sizes), in_dtype)};
           });
  }
  return out;
}

Tensor mean(const Tensor& self, std::optional<DType> dtype) { return mean(self, {}, false, dtype); }

// ---- prod -----------------------------------------------------------------------------------
namespace {

Tensor prod_impl(const Tensor& self, IntArrayRef dims, bool keepdim, std::optional<DType> dtype,
                 const char* node_name) {
  detail::check_defined(self, "prod");
  ReducePlan p = plan(self, dims, "prod");
  Tensor out =
      run_reduce(ReduceOp::Prod, detail::convert_dtype(self, sum_dtype(self, dtype)), p, keepdim);
  if (records(self)) {
    // d prod / d x_i is the product of the other elements: result / x_i when no element is
    // zero; otherwise the product of the non-zero elements where x_i is the only zero, else 0.
    record(
        node_name, out, {&self}, {self, out},
        [keep = p.keep_sizes, reduce_dims = DimVector(dims)](const BackwardContext& ctx) {
          Tensor x = ctx.saved(0);
          Tensor g = ctx.grad().reshape(keep).expand(x.sizes());
          Tensor result = ctx.saved(1).reshape(keep).expand(x.sizes());
          Tensor is_zero = x == 0;
          if (!is_zero.any().item<bool>()) {
            return variable_list{detail::convert_dtype(g * result / x, x.dtype())};
          }
          Tensor nonzero_prod = prod_impl(where(is_zero, 1, x), reduce_dims, true, std::nullopt, "")
                                    .expand(x.sizes());
          Tensor zero_count = is_zero.sum(reduce_dims, true).expand(x.sizes());
          Tensor zero = zeros_like(x);
          Tensor others = where(zero_count == 0, nonzero_prod / x,
                                where(logical_and(zero_count == 1, is_zero), nonzero_prod, zero));
          return variable_list{detail::convert_dtype(g * others, x.dtype())};
        });
  }
  return out;
}

}  // namespace

Tensor prod(const Tensor& self, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  return prod_impl(self, {dim}, keepdim, dtype, "ProdBackward1");
}

Tensor prod(const Tensor& self, std::optional<DType> dtype) {
  return prod_impl(self, {}, false, dtype, "ProdBackward0");
}

// ---- max, min, amax, amin, argmax, argmin ---------------------------------------------------
namespace {

// Gradient of a reduction that picks values (amax, full max): split evenly among ties.
Tensor evenly_distribute(const Tensor& grad, const Tensor& x, const Tensor& result,
                         IntArrayRef keep, IntArrayRef reduce_dims) {
  Tensor r = result.reshape(keep);
  Tensor mask = x == r;
  Tensor count = mask.sum(reduce_dims, true);
  return where(mask, (grad.reshape(keep) / count).expand(x.sizes()), zeros_like(x));
}

Tensor extreme_all(const Tensor& self, bool is_max, IntArrayRef dims, bool keepdim, const char* op,
                   const char* node_name) {
  detail::check_defined(self, op);
  ReducePlan p = plan(self, dims, op);
  AXON_CHECK(self.numel() > 0 || !dims.empty(),
             "{}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
             "reduction dim with the 'dim' argument.",
             op);
  AXON_CHECK(p.count > 0 || product(p.out_sizes) == 0,
             "{}(): cannot compute {} over a dimension of size 0 because the operation has no "
             "identity",
             op, op);
  Tensor out = run_reduce(is_max ? ReduceOp::Max : ReduceOp::Min, self, p, keepdim);
  if (records(self)) {
    record(node_name, out, {&self}, {self, out},
           [keep = p.keep_sizes, reduce_dims = DimVector(dims)](const BackwardContext& ctx) {
             return variable_list{
                 evenly_distribute(ctx.grad(), ctx.saved(0), ctx.saved(1), keep, reduce_dims)};
           });
  }
  return out;
}

// Values and indices along one dim.
std::tuple<Tensor, Tensor> extreme_dim(const Tensor& self, int64_t dim, bool keepdim, bool is_max,
                                       bool want_values, const char* op) {
  detail::check_defined(self, op);
  int64_t d = detail::wrap_dim(dim, self.dim(), op);
  ReducePlan p = plan(self, {d}, op);
  AXON_CHECK(p.count > 0 || product(p.out_sizes) == 0,
             "{}(): Expected reduction dim {} to have non-zero size.", op, d);
  DimVector shape = keepdim ? p.keep_sizes : p.out_sizes;
  Tensor values;
  if (want_values) values = detail::empty_tensor(shape, self.dtype(), self.device());
  Tensor indices = detail::empty_tensor(shape, DType::Int64, self.device());
  kernels::arg_reduce_kernel(self.device())(is_max, values, indices, p.input, p.shape);
  if (want_values && records(self)) {
    record(is_max ? "MaxBackward0" : "MinBackward0", values, {&self}, {indices},
           [d, keepdim, sizes = DimVector(self.sizes())](const BackwardContext& ctx) {
             // Scatter the gradient to the chosen index of each slice.
             Tensor idx = ctx.saved(0);
             Tensor g = ctx.grad();
             if (!keepdim && !sizes.empty()) {
               idx = idx.unsqueeze(d);
               g = g.unsqueeze(d);
             }
             DimVector positions_shape(sizes.size(), 1);
             if (!sizes.empty()) positions_shape[d] = sizes[d];
             Tensor positions =
                 arange(sizes.empty() ? 1 : sizes[d], TensorOptions(kInt64).device(g.device()))
                     .view(positions_shape);
             Tensor hit = (positions == idx).expand(sizes);
             return variable_list{where(hit, g.expand(sizes), zeros(sizes, g.options()))};
           });
  }
  return {values, indices};
}

}  // namespace

Tensor max(const Tensor& self) { return extreme_all(self, true, {}, false, "max", "MaxBackward1"); }
Tensor min(const Tensor& self) {
  return extreme_all(self, false, {}, false, "min", "MinBackward1");
}
Tensor amax(const Tensor& self, IntArrayRef dim, bool keepdim) {
  return extreme_all(self, true, dim, keepdim, "amax", "AmaxBackward0");
}
Tensor amin(const Tensor& self, IntArrayRef dim, bool keepdim) {
  return extreme_all(self, false, dim, keepdim, "amin", "AminBackward0");
}

std::tuple<Tensor, Tensor> max(const Tensor& self, int64_t dim, bool keepdim) {
  return extreme_dim(self, dim, keepdim, true, true, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& self, int64_t dim, bool keepdim) {
  return extreme_dim(self, dim, keepdim, false, true, "min");
}

Tensor argmax(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  detail::check_defined(self, "argmax");
  if (!dim) {
    AXON_CHECK(self.numel() > 0,
               "argmax(): Expected reduction dim to be specified for "
               "input.numel() == 0.");
    return std::get<1>(extreme_dim(self.reshape({-1}), 0, false, true, false, "argmax"));
  }
  return std::get<1>(extreme_dim(self, *dim, keepdim, true, false, "argmax"));
}

Tensor argmin(const Tensor& self, std::optional<int64_t> dim, bool keepdim) {
  detail::check_defined(self, "argmin");
  if (!dim) {
    AXON_CHECK(self.numel() > 0,
               "argmin(): Expected reduction dim to be specified for "
               "input.numel() == 0.");
    return std::get<1>(extreme_dim(self.reshape({-1}), 0, false, false, false, "argmin"));
  }
  return std::get<1>(extreme_dim(self, *dim, keepdim, false, false, "argmin"));
}

Tensor any(const Tensor& self) {
  detail::check_defined(self, "any");
  if (self.numel() == 0) return zeros({}, TensorOptions(kBool).device(self.device()));
  NoGradGuard no_grad;
  Tensor truth = self.dtype() == DType::Bool ? self : self != 0;
  return amax(truth);
}

Tensor all(const Tensor& self) {
  detail::check_defined(self, "all");
  if (self.numel() == 0) return ones({}, TensorOptions(kBool).device(self.device()));
  NoGradGuard no_grad;
  Tensor truth = self.dtype() == DType::Bool ? self : self != 0;
  return amin(truth);
}

// ---- var, std, logsumexp --------------------------------------------------------------------
namespace {

Tensor floating(const Tensor& self, const char* op) {
  AXON_CHECK(self.is_floating_point(), "{}(): expected a floating-point input, got {}", op,
             self.dtype());
  return self;
}

// Two passes (mean, then squared deviations) so that large means do not cancel precision.
Tensor var_impl(const Tensor& self, IntArrayRef dims, bool unbiased, bool keepdim, bool take_sqrt) {
  const char* op = take_sqrt ? "std" : "var";
  detail::check_defined(self, op);
  floating(self, op);
  ReducePlan p = plan(self, dims, op);
  // PyTorch's max(0, N - correction): no values, or one with Bessel's correction, give 0 / 0.
  double divisor = std::max(0.0, static_cast<double>(p.count) - (unbiased ? 1.0 : 0.0));
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor centered = self - self.mean(dims, true);
    out = (centered * centered).sum(dims, keepdim) / divisor;
    if (take_sqrt) out = out.sqrt();
  }
  if (records(self)) {
    record(
        take_sqrt ? "StdBackward0" : "VarBackward0", out, {&self}, {self, out},
        [keep = p.keep_sizes, reduce_dims = DimVector(dims), divisor,
         take_sqrt](const BackwardContext& ctx) {
          Tensor x = ctx.saved(0);
          Tensor centered = x - x.mean(reduce_dims, true);
          Tensor g = ctx.grad().reshape(keep);
          if (take_sqrt) {
            Tensor s = ctx.saved(1).reshape(keep);
            return variable_list{where(s == 0, zeros_like(centered), g * centered / (s * divisor))};
          }
          return variable_list{g * centered * (2.0 / divisor)};
        });
  }
  return out;
}

}  // namespace

Tensor var(const Tensor& self, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_impl(self, dim, unbiased, keepdim, false);
}
Tensor var(const Tensor& self, bool unbiased) { return var_impl(self, {}, unbiased, false, false); }
Tensor std(const Tensor& self, IntArrayRef dim, bool unbiased, bool keepdim) {
  return var_impl(self, dim, unbiased, keepdim, true);
}
Tensor std(const Tensor& self, bool unbiased) { return var_impl(self, {}, unbiased, false, true); }

Tensor logsumexp(const Tensor& self_in, IntArrayRef dim, bool keepdim) {
  detail::check_defined(self_in, "logsumexp");
  Tensor self =
      self_in.is_floating_point() ? self_in : detail::convert_dtype(self_in, get_default_dtype());
  ReducePlan p = plan(self, dim, "logsumexp");
  Tensor out;
  {
    NoGradGuard no_grad;
    if (self.numel() == 0) {
      out = log(sum(exp(self), dim, keepdim));
    } else {
      // Shift by the max so exp never overflows; an infinite max is not shifted.
      Tensor m = amax(self, dim, true);
      m = where(m.isinf(), zeros_like(m), m);
      out = log(sum(exp(self - m), dim, true)) + m;
      if (!keepdim) out = out.reshape(p.out_sizes);
    }
  }
  if (autograd::should_record({&self_in})) {
    record("LogsumexpBackward0", out, {&self_in}, {self, out},
           [keep = p.keep_sizes](const BackwardContext& ctx) {
             Tensor x = ctx.saved(0);
             Tensor result = ctx.saved(1).reshape(keep);
             return variable_list{ctx.grad().reshape(keep) * (x - result).exp()};
           });
  }
  return out;
}

// ---- softmax --------------------------------------------------------------------------------
namespace {

Tensor softmax_impl(const Tensor& self_in, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  detail::check_defined(self_in, op);
  Tensor self = dtype ? detail::convert_dtype(self_in, *dtype) : self_in;
  AXON_CHECK(self.is_floating_point(), "{}(): expected a floating-point input, got {}", op,
             self.dtype());
  int64_t d = detail::wrap_dim(dim, self.dim(), op);
  const ReduceShape shape = kernels::shape_around(self.sizes(), d);
  Tensor out = detail::empty_tensor(self.sizes(), self.dtype(), self.device());
  if (self.numel() > 0) {
    kernels::softmax_kernel(self.device())(log, out, self.contiguous(), shape);
  }
  if (autograd::should_record({&self_in})) {
    int64_t reduce_dim = self.dim() == 0 ? 0 : d;
    record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", out, {&self_in}, {out},
           [reduce_dim, log, in_dtype = self_in.dtype(),
            zero_dim = self.dim() == 0](const BackwardContext& ctx) {
             Tensor y = ctx.saved(0);
             const Tensor& g = ctx.grad();
             Tensor grad;
             if (zero_dim) {
               grad = log ? g - y.exp() * g : y * (g - g * y);
             } else if (log) {
               grad = g - y.exp() * g.sum({reduce_dim}, true);
             } else {
               grad = y * (g - (g * y).sum({reduce_dim}, true));
             }
             return variable_list{detail::convert_dtype(grad, in_dtype)};
           });
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(self, dim, dtype, false);
}
Tensor log_softmax(const Tensor& self, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(self, dim, dtype, true);
}

}  // namespace axon
