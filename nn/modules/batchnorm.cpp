#include "axon/nn/modules/batchnorm.h"

#include <fmt/format.h>

#include "axon/autograd/grad_mode.h"
#include "axon/nn/init.h"

namespace axon::nn {

BatchNormImplBase::BatchNormImplBase(const BatchNormOptions& options_) : options(options_) {
  AXON_CHECK(options.num_features() > 0, "BatchNorm: num_features must be positive, got {}",
             options.num_features());
  reset();
}

void BatchNormImplBase::reset() {
  const int64_t c = options.num_features();
  weight = register_parameter("weight", options.affine() ? empty({c}) : Tensor(), options.affine());
  bias = register_parameter("bias", options.affine() ? empty({c}) : Tensor(), options.affine());
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({c}));
    running_var = register_buffer("running_var", ones({c}));
    num_batches_tracked =
        register_buffer("num_batches_tracked", zeros({}, TensorOptions(DType::Int64)));
  } else {
    running_mean = register_buffer("running_mean", Tensor());
    running_var = register_buffer("running_var", Tensor());
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor());
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  init::zeros_(num_batches_tracked);
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNormImplBase::forward(const Tensor& input) {
  AXON_CHECK(input.defined(), "{}: the input is undefined", name());
  check_input_dim(input);
  AXON_CHECK(input.size(1) == options.num_features(),
             "{}: expected {} channels (dim 1) in an input of shape {}, got {}", name(),
             options.num_features(), input.sizes(), input.size(1));
  // PyTorch's _BatchNorm.forward: the momentum, or 1/batches for a cumulative average.
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);
    }
    if (!options.momentum())
      factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  const bool use_batch_stats = is_training() || !options.track_running_stats();
  return axon::batch_norm(input, weight, bias, running_mean, running_var, use_batch_stats, factor,
                          options.eps());
}

std::string BatchNormImplBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}",
                     options.num_features(), detail::py_float(options.eps()),
                     options.momentum() ? detail::py_float(*options.momentum()) : "None",
                     detail::py_bool(options.affine()),
                     detail::py_bool(options.track_running_stats()));
}

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  AXON_CHECK(input.dim() == 2 || input.dim() == 3,
             "BatchNorm1d: expected 2D or 3D input (got {}D input of shape {})", input.dim(),
             input.sizes());
}

void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  AXON_CHECK(input.dim() == 4, "BatchNorm2d: expected 4D input (got {}D input of shape {})",
             input.dim(), input.sizes());
}

}  // namespace axon::nn
