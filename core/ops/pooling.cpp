// max_pool2d, avg_pool2d and adaptive_avg_pool2d, with their backward kernels.
//
// Each backward is itself recorded, so create_graph through a pooling layer is exact: avg
// pooling is linear (its backward's backward is the forward again) and max pooling's backward
// scatters through the saved indices (its backward gathers through them).
#include "kernels/common/pooling.h"

#include <array>
#include <tuple>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::max_pool2d_kernel);
AXON_DEFINE_KERNEL(kernels::max_pool2d_backward_kernel);
AXON_DEFINE_KERNEL(kernels::max_pool2d_gather_kernel);
AXON_DEFINE_KERNEL(kernels::avg_pool2d_kernel);
AXON_DEFINE_KERNEL(kernels::avg_pool2d_backward_kernel);

using autograd::BackwardContext;
using autograd::record;
using kernels::Pool2dParams;

namespace {

// The kernel parameters with the 4-D shapes they map between (unbatched inputs gain a batch
// of one).
struct PoolPlan {
  Pool2dParams p;
  std::array<int64_t, 4> in_shape{}, out_shape{};
};

Tensor new_tensor(const std::array<int64_t, 4>& shape, const Tensor& like) {
  return detail::empty_tensor({shape.data(), 4}, like.dtype(), like.device());
}

std::array<int64_t, 2> pool_pair(IntArrayRef v, const char* op, const char* name,
                                 const char* omitted) {
  AXON_CHECK(v.size() == 1 || v.size() == 2,
             "{}: {} must either be {}a single int, or a tuple of two ints, but got {}", op, name,
             omitted, v);
  return {v[0], v.back()};
}

// A 3-D or 4-D input whose dims other than the batch are non-empty, as a 4-D tensor.
Tensor batched_input(const Tensor& self, const char* op) {
  detail::check_defined(self, op, "self");
  AXON_CHECK((self.dim() == 3 || self.dim() == 4) && self.size(-1) > 0 && self.size(-2) > 0 &&
                 self.size(-3) > 0,
             "{}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
             "input, but got: {}",
             op, self.sizes());
  AXON_CHECK(self.is_floating_point(), "{}: not implemented for {} tensors", op, self.dtype());
  return self.dim() == 4 ? self : self.unsqueeze(0);
}

// PyTorch's pooling_output_shape: with ceil_mode the last window must start inside the input
// or the left padding.
int64_t pooled_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation,
                    bool ceil_mode) {
  const int64_t numerator =
      in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

PoolPlan window_plan(const Tensor& x, IntArrayRef kernel_size, IntArrayRef stride,
                     IntArrayRef padding, IntArrayRef dilation, bool ceil_mode, const char* op) {
  const auto [kh, kw] = pool_pair(kernel_size, op, "kernel_size", "");
  const auto [sh, sw] = stride.empty() ? std::array<int64_t, 2>{kh, kw}
                                       : pool_pair(stride, op, "stride", "omitted, ");
  const auto [ph, pw] = pool_pair(padding, op, "padding", "");
  const auto [dh, dw] = pool_pair(dilation, op, "dilation", "");
  AXON_CHECK(kh > 0 && kw > 0, "{}: kernel size should be greater than zero, but got kH: {} kW: {}",
             op, kh, kw);
  AXON_CHECK(sh > 0 && sw > 0, "{}: stride should be greater than zero, but got dH: {} dW: {}", op,
             sh, sw);
  AXON_CHECK(dh > 0 && dw > 0,
             "{}: dilation should be greater than zero, but got dilationH: {} dilationW: {}", op,
             dh, dw);
  AXON_CHECK(ph >= 0 && pw >= 0, "{}: pad must be non-negative, but got padH: {} padW: {}", op, ph,
             pw);
  AXON_CHECK(ph <= kh / 2 && pw <= kw / 2,
             "{}: pad should be at most half of kernel size, but got padH = {}, padW = {}, kH = "
             "{}, kW = {}",
             op, ph, pw, kh, kw);
  PoolPlan plan;
  Pool2dParams& p = plan.p;
  p.planes = x.size(0) * x.size(1);
  p.in_h = x.size(2);
  p.in_w = x.size(3);
  p.out_h = pooled_size(p.in_h, kh, ph, sh, dh, ceil_mode);
  p.out_w = pooled_size(p.in_w, kw, pw, sw, dw, ceil_mode);
  AXON_CHECK(p.out_h >= 1 && p.out_w >= 1,
             "{}: Given input size: ({}x{}x{}). Calculated output size: ({}x{}x{}). Output size is "
             "too small",
             op, x.size(1), p.in_h, p.in_w, x.size(1), p.out_h, p.out_w);
  p.kernel_h = kh, p.kernel_w = kw, p.stride_h = sh, p.stride_w = sw;
  p.pad_h = ph, p.pad_w = pw, p.dilation_h = dh, p.dilation_w = dw;
  plan.in_shape = {x.size(0), x.size(1), p.in_h, p.in_w};
  plan.out_shape = {x.size(0), x.size(1), p.out_h, p.out_w};
  return plan;
}

// ---- max pooling ----------------------------------------------------------------------------

Tensor max_pool_backward(const Tensor& grad, const Tensor& indices, const PoolPlan& plan);

// Records out = x at `indices` (the forward, and the backward's backward).
void record_max_pool(const Tensor& out, const Tensor& x, const Tensor& indices,
                     const PoolPlan& plan) {
  record("MaxPool2DWithIndicesBackward0", out, {&x}, {indices}, [plan](const BackwardContext& ctx) {
    if (!ctx.grad().defined()) return variable_list{Tensor()};
    return variable_list{max_pool_backward(ctx.grad(), ctx.saved(0), plan)};
  });
}

Tensor max_pool_backward(const Tensor& grad, const Tensor& indices, const PoolPlan& plan) {
  Tensor gi = new_tensor(plan.in_shape, grad);
  {
    NoGradGuard no_grad;
    kernels::max_pool2d_backward_kernel(grad.device())(gi, grad.contiguous(), indices, plan.p);
  }
  if (autograd::should_record({&grad})) {
    record("MaxPool2DWithIndicesBackwardBackward0", gi, {&grad}, {indices},
           [plan](const BackwardContext& ctx) {
             const Tensor& gg = ctx.grad();
             if (!gg.defined()) return variable_list{Tensor()};
             Tensor d_grad = new_tensor(plan.out_shape, gg);
             {
               NoGradGuard no_grad;
               kernels::max_pool2d_gather_kernel(gg.device())(d_grad, gg.contiguous(), ctx.saved(0),
                                                              plan.p);
             }
             if (autograd::should_record({&gg})) record_max_pool(d_grad, gg, ctx.saved(0), plan);
             return variable_list{d_grad};
           });
  }
  return gi;
}

std::tuple<Tensor, Tensor> max_pool(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride,
                                    IntArrayRef padding, IntArrayRef dilation, bool ceil_mode,
                                    bool want_indices) {
  const Tensor x = batched_input(self, "max_pool2d");
  const PoolPlan plan =
      window_plan(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d");
  const bool records = autograd::should_record({&self});
  Tensor out = new_tensor(plan.out_shape, x), indices;
  if (want_indices || records) {
    indices = detail::empty_tensor({plan.out_shape.data(), 4}, kInt64, x.device());
  }
  {
    NoGradGuard no_grad;
    kernels::max_pool2d_kernel(x.device())(out, indices, x.contiguous(), plan.p);
  }
  if (records) record_max_pool(out, x, indices, plan);
  if (self.dim() == 3) return {out.squeeze(0), indices.defined() ? indices.squeeze(0) : indices};
  return {out, indices};
}

// ---- average pooling ------------------------------------------------------------------------

Tensor avg_backward(const Tensor& grad, const PoolPlan& plan, bool adaptive);

// avg_pool2d or adaptive_avg_pool2d of a 4-D x: linear, so each direction's backward is the
// other direction.
Tensor avg_forward(const Tensor& x, const PoolPlan& plan, bool adaptive) {
  Tensor out = new_tensor(plan.out_shape, x);
  {
    NoGradGuard no_grad;
    kernels::avg_pool2d_kernel(x.device())(adaptive, out, x.contiguous(), plan.p);
  }
  if (autograd::should_record({&x})) {
    record(adaptive ? "AdaptiveAvgPool2DBackward0" : "AvgPool2DBackward0", out, {&x}, {},
           [plan, adaptive](const BackwardContext& ctx) {
             if (!ctx.grad().defined()) return variable_list{Tensor()};
             return variable_list{avg_backward(ctx.grad(), plan, adaptive)};
           });
  }
  return out;
}

Tensor avg_backward(const Tensor& grad, const PoolPlan& plan, bool adaptive) {
  Tensor gi = new_tensor(plan.in_shape, grad);
  {
    NoGradGuard no_grad;
    kernels::avg_pool2d_backward_kernel(grad.device())(adaptive, gi, grad.contiguous(), plan.p);
  }
  if (autograd::should_record({&grad})) {
    record(adaptive ? "AdaptiveAvgPool2DBackwardBackward0" : "AvgPool2DBackwardBackward0", gi,
           {&grad}, {}, [plan, adaptive](const BackwardContext& ctx) {
             if (!ctx.grad().defined()) return variable_list{Tensor()};
             return variable_list{avg_forward(ctx.grad(), plan, adaptive)};
           });
  }
  return gi;
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& self, IntArrayRef kernel_size,
                                                   IntArrayRef stride, IntArrayRef padding,
                                                   IntArrayRef dilation, bool ceil_mode) {
  return max_pool(self, kernel_size, stride, padding, dilation, ceil_mode, true);
}

Tensor max_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride,
                  IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  return std::get<0>(max_pool(self, kernel_size, stride, padding, dilation, ceil_mode, false));
}

Tensor avg_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride,
                  IntArrayRef padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  const Tensor x = batched_input(self, "avg_pool2d");
  PoolPlan plan = window_plan(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d");
  AXON_CHECK(!divisor_override || *divisor_override != 0, "avg_pool2d: divisor must be not zero");
  plan.p.count_include_pad = count_include_pad;
  plan.p.divisor_override = divisor_override.value_or(0);
  Tensor out = avg_forward(x, plan, false);
  return self.dim() == 3 ? out.squeeze(0) : out;
}

Tensor adaptive_avg_pool2d(const Tensor& self, IntArrayRef output_size) {
  AXON_CHECK(output_size.size() == 2, "adaptive_avg_pool2d: output_size must be 2, but got {}",
             output_size);
  AXON_CHECK(output_size[0] >= 0 && output_size[1] >= 0,
             "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
             "but received {}",
             output_size);
  const Tensor x = batched_input(self, "adaptive_avg_pool2d");
  PoolPlan plan;
  plan.p.planes = x.size(0) * x.size(1);
  plan.p.in_h = x.size(2);
  plan.p.in_w = x.size(3);
  plan.p.out_h = output_size[0];
  plan.p.out_w = output_size[1];
  plan.in_shape = {x.size(0), x.size(1), plan.p.in_h, plan.p.in_w};
  plan.out_shape = {x.size(0), x.size(1), plan.p.out_h, plan.p.out_w};
  Tensor out = avg_forward(x, plan, true);
  return self.dim() == 3 ? out.squeeze(0) : out;
}

}  // namespace axon
