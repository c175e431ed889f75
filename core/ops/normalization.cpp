// batch_norm: the front-end, checks, and its backward (kernels in kernels/*/batch_norm.*).
#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/tensor_utils.h"
#include "kernels/common/batch_norm.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::batch_norm_stats_kernel);
AXON_DEFINE_KERNEL(kernels::batch_norm_apply_kernel);
AXON_DEFINE_KERNEL(kernels::batch_norm_backward_kernel);

namespace {

using autograd::BackwardContext;

void check_channel_vector(const Tensor& t, const Tensor& input, int64_t channels,
                          const char* what) {
  if (!t.defined()) return;
  AXON_CHECK(t.dim() == 1 && t.size(0) == channels,
             "batch_norm: expected {} to have shape [{}] (one entry per channel of the input of "
             "shape {}), got {}",
             what, channels, input.sizes(), t.sizes());
  AXON_CHECK(t.dtype() == input.dtype(), "batch_norm: expected {} to have dtype {}, got {}", what,
             input.dtype(), t.dtype());
  detail::check_same_device(input, t, "batch_norm");
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight,
                                                     const Tensor& bias, const Tensor& running_mean,
                                                     const Tensor& running_var, bool training,
                                                     double momentum, double eps) {
  detail::check_defined(input, "batch_norm");
  AXON_CHECK(input.dim() >= 2,
             "batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {}",
             input.sizes());
  AXON_CHECK(input.is_floating_point(), "batch_norm: expected a floating-point input, got {}",
             input.dtype());
  AXON_CHECK(eps > 0, "batch_norm: eps must be positive, got {}", eps);
  const int64_t channels = input.size(1);
  check_channel_vector(weight, input, channels, "weight");
  check_channel_vector(bias, input, channels, "bias");
  check_channel_vector(running_mean, input, channels, "running_mean");
  check_channel_vector(running_var, input, channels, "running_var");
  AXON_CHECK(training || (running_mean.defined() && running_var.defined()),
             "batch_norm: running_mean and running_var must be defined when not training");
  AXON_CHECK(!running_mean.requires_grad() && !running_var.requires_grad(),
             "batch_norm: running_mean and running_var must not require grad");

  const Tensor x = input.contiguous();
  kernels::BatchNormShape shape{input.size(0), channels,
                                input.numel() / std::max<int64_t>(1, input.size(0) * channels)};
  if (training) {
    AXON_CHECK(shape.n * shape.s > 1,
               "batch_norm: expected more than 1 value per channel when training, got input of "
               "shape {}",
               input.sizes());
  }
  Tensor mean = detail::empty_tensor({channels}, input.dtype(), input.device());
  Tensor invstd = detail::empty_tensor({channels}, input.dtype(), input.device());
  if (training) {
    kernels::batch_norm_stats_kernel(input.device())(x, shape, mean, invstd, running_mean,
                                                     running_var, momentum, eps);
    if (running_mean.defined()) running_mean.storage()->bump_version();
    if (running_var.defined()) running_var.storage()->bump_version();
  } else {
    NoGradGuard no_grad;
    mean.copy_(running_mean);
    invstd.copy_(rsqrt(running_var + eps));
  }
  Tensor out = detail::empty_tensor(input.sizes(), input.dtype(), input.device());
  kernels::batch_norm_apply_kernel(input.device())(out, x, shape, mean, invstd, weight, bias);

  if (autograd::should_record({&input, &weight, &bias})) {
    autograd::record(
        "NativeBatchNormBackward0", out, {&input, &weight, &bias}, {x, mean, invstd, weight},
        [shape, training](const BackwardContext& ctx) -> variable_list {
          const Tensor& grad = ctx.grad();
          AXON_CHECK(!autograd::should_record({&grad}),
                     "batch_norm: double backward (create_graph through batch_norm) is not "
                     "supported");
          Tensor saved_x = ctx.saved(0), saved_weight = ctx.saved(3);
          Tensor dy = grad.contiguous();
          auto maybe = [&](size_t i, IntArrayRef sizes) {
            return ctx.needs_grad(i)
                       ? detail::empty_tensor(sizes, saved_x.dtype(), saved_x.device())
                       : Tensor();
          };
          Tensor dx = maybe(0, saved_x.sizes());
          Tensor dw = maybe(1, {shape.c});
          Tensor db = maybe(2, {shape.c});
          kernels::batch_norm_backward_kernel(saved_x.device())(
              dy, saved_x, shape, ctx.saved(1), ctx.saved(2), saved_weight, training, dx, dw, db);
          return {dx, dw, db};
        });
  }
  return {out, mean, invstd};
}

Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps, bool /*cudnn_enabled*/) {
  // Without running statistics the batch's are used, also in eval (as PyTorch).
  const bool use_batch_stats = training || !running_mean.defined() || !running_var.defined();
  return std::get<0>(native_batch_norm(input, weight, bias, running_mean, running_var,
                                       use_batch_stats, momentum, eps));
}

}  // namespace axon
