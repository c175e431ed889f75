#pragma once
// Gradient clipping, as LibTorch's torch::nn::utils::clip_grad_norm_ / clip_grad_value_, with
// torch.nn.utils' numerics: the total norm is computed in the gradients' dtype on their device,
// and every gradient is scaled by min(1, max_norm / (total_norm + 1e-6)). Parameters without a
// gradient are skipped.

#include <initializer_list>
#include <vector>

#include "axon/tensor.h"

namespace axon::nn::utils {

// Scales the gradients so that their norm, taken together as one vector, is at most max_norm;
// returns that total norm (before clipping). norm_type may be infinity (the largest magnitude).
// With error_if_nonfinite, a NaN or infinite total norm is an axon::Error and nothing changes.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace axon::nn::utils
