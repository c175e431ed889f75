#include "nn/optim/fused_step.h"

#include <array>
#include <utility>

#include "axon/error.h"
#include "axon/storage.h"

namespace axon {

AXON_DEFINE_KERNEL(kernels::sgd_step_kernel);
AXON_DEFINE_KERNEL(kernels::adam_step_kernel);

namespace optim::detail {
namespace {

// A tensor of a step, whether the step writes it, and its name for errors.
struct Operand {
  Tensor* tensor;
  bool written;
  const char* what;
};
std::array<Operand, 3> operands(kernels::SgdParamTensors& t) {
  return {{{&t.param, true, "parameter"},
           {&t.grad, false, "gradient"},
           {&t.momentum_buffer, true, "momentum_buffer"}}};
}
std::array<Operand, 5> operands(kernels::AdamParamTensors& t) {
  return {{{&t.param, true, "parameter"},
           {&t.grad, false, "gradient"},
           {&t.exp_avg, true, "exp_avg"},
           {&t.exp_avg_sq, true, "exp_avg_sq"},
           {&t.max_exp_avg_sq, true, "max_exp_avg_sq"}}};
}

void check_like_param(const char* name, const Tensor& param, const Tensor& t, const char* what) {
  AXON_CHECK(
      t.dtype() == param.dtype() && t.device() == param.device() && t.sizes() == param.sizes(),
      "{}: a parameter of shape {} ({} on {}) has a {} of shape {} ({} on {})", name, param.sizes(),
      param.dtype(), param.device(), what, t.sizes(), t.dtype(), t.device());
}

template <typename Entry, typename Options, typename Kernel>
void fused_step(const char* name, std::vector<Entry>& entries, const Options& options,
                const Kernel& kernel) {
  std::vector<std::pair<Tensor, Tensor>> write_back;  // (tensor, its contiguous stand-in)
  for (Entry& entry : entries) {
    check_gradient(name, entry.param);
    for (const Operand& op : operands(entry)) {
      Tensor& t = *op.tensor;
      if (!t.defined()) continue;
      check_like_param(name, entry.param, t, op.what);
      if (op.written) t.storage()->bump_version();
      if (t.is_contiguous()) continue;
      Tensor dense = t.contiguous();
      if (op.written) write_back.emplace_back(t, dense);
      t = dense;
    }
  }
  std::vector<bool> done(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (done[i]) continue;
    const Device device = entries[i].param.device();
    const DType dtype = entries[i].param.dtype();
    std::vector<Entry> batch;
    for (size_t j = i; j < entries.size(); ++j) {
      if (done[j] || entries[j].param.device() != device || entries[j].param.dtype() != dtype) {
        continue;
      }
      batch.push_back(std::move(entries[j]));
      done[j] = true;
    }
    kernel(device)(batch, options);
  }
  for (const auto& [t, dense] : write_back) t.copy_(dense);
}

}  // namespace

void check_gradient(const char* name, const Tensor& param) {
  AXON_CHECK(param.is_floating_point(),
             "{}: expected floating-point parameters, got one of dtype {} and shape {}", name,
             param.dtype(), param.sizes());
  check_like_param(name, param, param.grad(), "gradient");
}

void fused_sgd_step(const char* name, std::vector<kernels::SgdParamTensors> params,
                    const kernels::SgdStepOptions& options) {
  fused_step(name, params, options, kernels::sgd_step_kernel);
}

void fused_adam_step(const char* name, std::vector<kernels::AdamParamTensors> params,
                     const kernels::AdamStepOptions& options) {
  fused_step(name, params, options, kernels::adam_step_kernel);
}

}  // namespace optim::detail
}  // namespace axon
