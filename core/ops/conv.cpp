// conv2d, with its backward as two kernels of its own (backward-data and backward-weight).
//
// Note [Conv double backward]: the three directions are linear in each argument, so each one's
// derivative is written with the other two. For y = conv(x, w) and gx = Bx(gy, w),
// gw = Bw(gy, x):  d<gg, Bx(gy, w)> is conv(gg, w) for gy and Bw(gy, gg) for w;
// d<gg, Bw(gy, x)> is conv(x, gg) for gy and Bx(gy, gg) for x. Recording the backward ops
// makes create_graph through a convolution exact.
#include "kernels/common/conv.h"

#include <array>
#include <tuple>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::conv2d_forward_kernel);
AXON_DEFINE_KERNEL(kernels::conv2d_backward_input_kernel);
AXON_DEFINE_KERNEL(kernels::conv2d_backward_weight_kernel);

using autograd::BackwardContext;
using autograd::record;
using kernels::Conv2dParams;

namespace {

Tensor conv_forward(const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const Conv2dParams& p);
Tensor conv_backward_input(const Tensor& grad, const Tensor& weight, const Conv2dParams& p);
std::tuple<Tensor, Tensor> conv_backward_weight(const Tensor& grad, const Tensor& input,
                                                const Conv2dParams& p, bool weight_grad,
                                                bool bias_grad);

std::array<int64_t, 2> pair_param(IntArrayRef v, const char* name) {
  AXON_CHECK(v.size() == 1 || v.size() == 2,
             "conv2d: expected {} to be a single integer value or a list of 2 values to match "
             "the convolution dimensions, but got {}={}",
             name, name, v);
  return {v[0], v.back()};
}

Tensor conv_forward(const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const Conv2dParams& p) {
  Tensor out = detail::empty_tensor({p.batch, p.out_channels, p.out_h, p.out_w}, input.dtype(),
                                    input.device());
  {
    NoGradGuard no_grad;
    kernels::conv2d_forward_kernel(input.device())(out, input.contiguous(), weight.contiguous(),
                                                   bias.defined() ? bias.contiguous() : bias, p);
  }
  if (autograd::should_record({&input, &weight, &bias})) {
    record("ConvolutionBackward0", out, {&input, &weight, &bias}, {input, weight},
           [p](const BackwardContext& ctx) {
             Tensor gi, gw, gb;
             if (!ctx.grad().defined()) return variable_list{gi, gw, gb};
             if (ctx.needs_grad(0)) gi = conv_backward_input(ctx.grad(), ctx.saved(1), p);
             if (ctx.needs_grad(1) || ctx.needs_grad(2)) {
               std::tie(gw, gb) = conv_backward_weight(ctx.grad(), ctx.saved(0), p,
                                                       ctx.needs_grad(1), ctx.needs_grad(2));
             }
             return variable_list{gi, gw, gb};
           });
  }
  return out;
}

Tensor conv_backward_input(const Tensor& grad, const Tensor& weight, const Conv2dParams& p) {
  Tensor gi =
      detail::empty_tensor({p.batch, p.in_channels, p.in_h, p.in_w}, grad.dtype(), grad.device());
  {
    NoGradGuard no_grad;
    kernels::conv2d_backward_input_kernel(grad.device())(gi, grad.contiguous(), weight.contiguous(),
                                                         p);
  }
  if (autograd::should_record({&grad, &weight})) {  // Note [Conv double backward]
    record("ConvolutionBackwardBackward0", gi, {&grad, &weight}, {grad, weight},
           [p](const BackwardContext& ctx) {
             Tensor gg = ctx.grad(), d_grad, d_weight;
             if (!gg.defined()) return variable_list{d_grad, d_weight};
             if (ctx.needs_grad(0)) d_grad = conv_forward(gg, ctx.saved(1), {}, p);
             if (ctx.needs_grad(1)) {
               d_weight = std::get<0>(conv_backward_weight(ctx.saved(0), gg, p, true, false));
             }
             return variable_list{d_grad, d_weight};
           });
  }
  return gi;
}

std::tuple<Tensor, Tensor> conv_backward_weight(const Tensor& grad, const Tensor& input,
                                                const Conv2dParams& p, bool weight_grad,
                                                bool bias_grad) {
  // Under create_graph the bias gradient is a plain sum, whose graph the reduction records.
  const bool record_graph = autograd::should_record({&grad, &input});
  Tensor gw, gb;
  if (weight_grad) {
    gw = detail::empty_tensor({p.out_channels, p.in_channels / p.groups, p.kernel_h, p.kernel_w},
                              grad.dtype(), grad.device());
  }
  if (bias_grad && !record_graph) {
    gb = detail::empty_tensor({p.out_channels}, grad.dtype(), grad.device());
  }
  if (gw.defined() || gb.defined()) {
    NoGradGuard no_grad;
    kernels::conv2d_backward_weight_kernel(grad.device())(gw, gb, grad.contiguous(),
                                                          input.contiguous(), p);
  }
  if (bias_grad && record_graph) gb = grad.sum({0, 2, 3});
  if (weight_grad && record_graph) {  // Note [Conv double backward]
    record("ConvolutionBackwardBackward0", gw, {&grad, &input}, {grad, input},
           [p](const BackwardContext& ctx) {
             Tensor ggw = ctx.grad(), d_grad, d_input;
             if (!ggw.defined()) return variable_list{d_grad, d_input};
             if (ctx.needs_grad(0)) d_grad = conv_forward(ctx.saved(1), ggw, {}, p);
             if (ctx.needs_grad(1)) d_input = conv_backward_input(ctx.saved(0), ggw, p);
             return variable_list{d_grad, d_input};
           });
  }
  return {gw, gb};
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  detail::check_defined(input, "conv2d", "input");
  detail::check_defined(weight, "conv2d", "weight");
  AXON_CHECK(input.dim() == 3 || input.dim() == 4,
             "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {}",
             input.sizes());
  AXON_CHECK(weight.dim() == 4,
             "conv2d: expected a 4-D weight [out_channels, in_channels / groups, kH, kW], but got "
             "weight of size {}",
             weight.sizes());
  detail::check_same_device(input, weight, "conv2d");
  AXON_CHECK(input.dtype() == weight.dtype(),
             "conv2d: expected input and weight to have the same dtype, but got {} and {}",
             input.dtype(), weight.dtype());
  AXON_CHECK(input.is_floating_point(), "conv2d: not implemented for {} tensors", input.dtype());
  const auto [stride_h, stride_w] = pair_param(stride, "stride");
  const auto [pad_h, pad_w] = pair_param(padding, "padding");
  const auto [dilation_h, dilation_w] = pair_param(dilation, "dilation");
  AXON_CHECK(stride_h > 0 && stride_w > 0, "conv2d: non-positive stride is not supported, got {}",
             stride);
  AXON_CHECK(pad_h >= 0 && pad_w >= 0, "conv2d: negative padding is not supported, got {}",
             padding);
  AXON_CHECK(dilation_h > 0 && dilation_w > 0,
             "conv2d: non-positive dilation is not supported, got {}", dilation);
  AXON_CHECK(groups > 0, "conv2d: non-positive groups is not supported, got groups={}", groups);
  const bool batched = input.dim() == 4;
  const Tensor x = batched ? input : input.unsqueeze(0);
  const int64_t out_channels = weight.size(0);
  AXON_CHECK(out_channels >= groups && out_channels % groups == 0,
             "conv2d: Given groups={}, expected weight to be at least {} and divisible by {} at "
             "dimension 0, but got weight of size {} instead",
             groups, groups, groups, weight.sizes());
  AXON_CHECK(x.size(1) == weight.size(1) * groups,
             "conv2d: Given groups={}, weight of size {}, expected input{} to have {} channels, "
             "but got {} channels instead",
             groups, weight.sizes(), x.sizes(), weight.size(1) * groups, x.size(1));
  if (bias.defined()) {
    detail::check_same_device(input, bias, "conv2d");
    AXON_CHECK(bias.dtype() == input.dtype(),
               "conv2d: expected input and bias to have the same dtype, but got {} and {}",
               input.dtype(), bias.dtype());
    AXON_CHECK(bias.dim() == 1 && bias.size(0) == out_channels,
               "conv2d: Given weight of size {}, expected bias to be 1-dimensional with {} "
               "elements, but got bias of size {} instead",
               weight.sizes(), out_channels, bias.sizes());
  }
  Conv2dParams p{.batch = x.size(0),
                 .in_channels = x.size(1),
                 .in_h = x.size(2),
                 .in_w = x.size(3),
                 .out_channels = out_channels,
                 .kernel_h = weight.size(2),
                 .kernel_w = weight.size(3),
                 .stride_h = stride_h,
                 .stride_w = stride_w,
                 .pad_h = pad_h,
                 .pad_w = pad_w,
                 .dilation_h = dilation_h,
                 .dilation_w = dilation_w,
                 .groups = groups};
  const int64_t extent_h = dilation_h * (p.kernel_h - 1) + 1;
  const int64_t extent_w = dilation_w * (p.kernel_w - 1) + 1;
  AXON_CHECK(p.in_h + 2 * pad_h >= extent_h && p.in_w + 2 * pad_w >= extent_w,
             "conv2d: Calculated padded input size per channel: ({} x {}). Kernel size: ({} x "
             "{}). Kernel size can't be greater than actual input size",
             p.in_h + 2 * pad_h, p.in_w + 2 * pad_w, extent_h, extent_w);
  p.out_h = (p.in_h + 2 * pad_h - extent_h) / stride_h + 1;
  p.out_w = (p.in_w + 2 * pad_w - extent_w) / stride_w + 1;
  Tensor out = conv_forward(x, weight, bias, p);
  return batched ? out : out.squeeze(0);
}

}  // namespace axon
