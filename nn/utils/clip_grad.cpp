#include "axon/nn/utils/clip_grad.h"

#include <cmath>

#include "axon/autograd/grad_mode.h"
#include "axon/error.h"
#include "axon/functions.h"

namespace axon::nn::utils {

namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

// The p-norm of all elements, in t's dtype, as torch.norm(t, p): the largest magnitude for
// p = inf, the smallest for -inf, the count of nonzeros for 0.
Tensor vector_norm(const Tensor& t, double p) {
  if (std::isinf(p)) return p > 0 ? t.abs().amax() : t.abs().amin();
  if (p == 0) return t.ne(0).sum(t.dtype());
  if (p == 1) return t.abs().sum();
  if (p == 2) return t.square().sum().sqrt();
  return t.abs().pow(p).sum().pow(1 / p);
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  AXON_CHECK(!std::isnan(norm_type), "clip_grad_norm_: norm_type is NaN");
  std::vector<Tensor> grads = defined_grads(parameters);
  if (grads.empty()) return 0.0;
  NoGradGuard no_grad;
  // torch.nn.utils.clip_grad_norm_, op for op: the per-gradient norms, then the norm of those.
  const Device device = grads[0].device();
  std::vector<Tensor> norms;
  for (const Tensor& g : grads)
    norms.push_back(vector_norm(g, norm_type).to(TensorOptions(device)));
  DType dtype = norms[0].dtype();
  for (const Tensor& n : norms) dtype = result_type(n, full({}, 0, TensorOptions(dtype)));
  for (Tensor& n : norms) n = n.to(dtype);
  Tensor total_norm;
  if (std::isinf(norm_type) && norm_type > 0) {
    total_norm = norms.size() == 1 ? norms[0] : stack(norms).max();
  } else {
    total_norm = vector_norm(stack(norms), norm_type);
  }
  const double total = total_norm.item<double>();
  AXON_CHECK(!error_if_nonfinite || std::isfinite(total),
             "clip_grad_norm_: the total norm of order {} for gradients from `parameters` is "
             "non-finite ({}), so it cannot be clipped. To disable this error and scale the "
             "gradients by the non-finite norm anyway, set `error_if_nonfinite=false`",
             norm_type, total);
  // PyTorch writes max_norm / (total_norm + 1e-6), which Python evaluates as
  // reciprocal(total_norm + 1e-6) * max_norm.
  Tensor clip_coef = (1 / (total_norm + 1e-6)) * max_norm;
  Tensor clip_coef_clamped = clip_coef.clamp_max(1.0);
  for (const Tensor& g : grads) g.mul_(clip_coef_clamped.to(TensorOptions(g.device())));
  return total;
}

double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>(parameters), max_norm, norm_type, error_if_nonfinite);
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& g : defined_grads(parameters)) g.clamp_(-clip_value, clip_value);
}

void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value) {
  clip_grad_value_(std::vector<Tensor>(parameters), clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace axon::nn::utils
