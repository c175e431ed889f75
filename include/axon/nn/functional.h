#pragma once
// nn::functional, as torch::nn::functional (`namespace F = axon::nn::functional;`): thin
// forms over the ops in axon/functions.h that take LibTorch's options structs.

#include "axon/functions.h"
#include "axon/nn/options.h"

namespace axon::nn::functional {

inline Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {}) {
  return axon::linear(input, weight, bias);
}

// ---- activations ----------------------------------------------------------------------------
inline Tensor relu(const Tensor& input, const ReLUFuncOptions& options = {}) {
  return options.inplace() ? input.relu_() : axon::relu(input);
}
inline Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options = {}) {
  return options.inplace() ? axon::leaky_relu_(input, options.negative_slope())
                           : axon::leaky_relu(input, options.negative_slope());
}
inline Tensor elu(const Tensor& input, const ELUFuncOptions& options = {}) {
  return options.inplace() ? axon::elu_(input, options.alpha()) : axon::elu(input, options.alpha());
}
inline Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {}) {
  return axon::gelu(input, options.approximate());
}
inline Tensor silu(const Tensor& input) { return axon::silu(input); }
inline Tensor logsigmoid(const Tensor& input) { return axon::log_sigmoid(input); }
inline Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return axon::softmax(input, options.dim());
}
inline Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return axon::log_softmax(input, options.dim());
}

// ---- dropout and normalisation --------------------------------------------------------------
namespace detail {
inline Tensor apply_dropout(const Tensor& input, const Tensor& result, bool inplace) {
  if (!inplace || result.is_same(input)) return result;
  input.copy_(result);
  return input;
}
}  // namespace detail

inline Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {}) {
  return detail::apply_dropout(input, axon::dropout(input, options.p(), options.training()),
                               options.inplace());
}
inline Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options = {}) {
  AXON_CHECK(input.dim() == 3 || input.dim() == 4,
             "dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {}",
             input.sizes());
  // An unbatched (C, H, W) input drops whole channels too.
  const Tensor batched = input.dim() == 3 ? input.unsqueeze(0) : input;
  Tensor result = axon::feature_dropout(batched, options.p(), options.training());
  if (input.dim() == 3) result = result.squeeze(0);
  return detail::apply_dropout(input, result, options.inplace());
}

inline Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                         const BatchNormFuncOptions& options = {}) {
  return axon::batch_norm(input, options.weight(), options.bias(), running_mean, running_var,
                          options.training(), options.momentum(), options.eps());
}

// ---- losses ---------------------------------------------------------------------------------
inline Tensor mse_loss(const Tensor& input, const Tensor& target,
                       const MSELossFuncOptions& options = {}) {
  return axon::mse_loss(input, target, options.reduction());
}
inline Tensor l1_loss(const Tensor& input, const Tensor& target,
                      const L1LossFuncOptions& options = {}) {
  return axon::l1_loss(input, target, options.reduction());
}
inline Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                             const SmoothL1LossFuncOptions& options = {}) {
  return axon::smooth_l1_loss(input, target, options.reduction(), options.beta());
}
inline Tensor huber_loss(const Tensor& input, const Tensor& target,
                         const HuberLossFuncOptions& options = {}) {
  return axon::huber_loss(input, target, options.reduction(), options.delta());
}
inline Tensor nll_loss(const Tensor& input, const Tensor& target,
                       const NLLLossFuncOptions& options = {}) {
  return axon::nll_loss(input, target, options.weight(), options.reduction(),
                        options.ignore_index());
}
inline Tensor cross_entropy(const Tensor& input, const Tensor& target,
                            const CrossEntropyFuncOptions& options = {}) {
  return axon::cross_entropy_loss(input, target, options.weight(), options.reduction(),
                                  options.ignore_index(), options.label_smoothing());
}
inline Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                                   const BinaryCrossEntropyFuncOptions& options = {}) {
  return axon::binary_cross_entropy(input, target, options.weight(), options.reduction());
}
inline Tensor binary_cross_entropy_with_logits(
    const Tensor& input, const Tensor& target,
    const BinaryCrossEntropyWithLogitsFuncOptions& options = {}) {
  return axon::binary_cross_entropy_with_logits(input, target, options.weight(),
                                                options.pos_weight(), options.reduction());
}

// ---- convolution and pooling ----------------------------------------------------------------
inline Tensor conv2d(const Tensor& input, const Tensor& weight,
                     const Conv2dFuncOptions& options = {}) {
  return axon::conv2d(input, weight, options.bias(), options.stride(), options.padding(),
                      options.dilation(), options.groups());
}
inline Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options) {
  return axon::max_pool2d(input, options.kernel_size(), options.stride(), options.padding(),
                          options.dilation(), options.ceil_mode());
}
inline std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                          const MaxPool2dFuncOptions& options) {
  return axon::max_pool2d_with_indices(input, options.kernel_size(), options.stride(),
                                       options.padding(), options.dilation(), options.ceil_mode());
}
inline Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options) {
  return axon::avg_pool2d(input, options.kernel_size(), options.stride(), options.padding(),
                          options.ceil_mode(), options.count_include_pad(),
                          options.divisor_override());
}
inline Tensor adaptive_avg_pool2d(const Tensor& input,
                                  const AdaptiveAvgPool2dFuncOptions& options) {
  return axon::adaptive_avg_pool2d(input, options.output_size());
}

}  // namespace axon::nn::functional
