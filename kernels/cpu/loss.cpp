// CPU nll_loss forward and backward: the per-sample arithmetic of kernels/common/loss.h, summed
// in order.
#include "kernels/common/loss.h"

#include <cstring>

#include "kernels/common/dtype_dispatch.h"

namespace axon::cpu {
namespace {

void check_target(int64_t t, int64_t classes, int64_t ignore_index) {
  AXON_CHECK(t == ignore_index || (t >= 0 && t < classes),
             "nll_loss: target {} is out of bounds for {} classes", t, classes);
}

void nll_loss_cpu(const Tensor& out, const Tensor& total_weight, const Tensor& input,
                  const Tensor& target, const Tensor& weight, int64_t ignore_index,
                  Reduction::Reduction reduction) {
  kernels::visit_floating_dtype(input.dtype(), "nll_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t m = input.size(0), classes = input.size(1);
    const kernels::NllInputs<T> in{input.data_ptr<T>(), target.data_ptr<int64_t>(),
                                   weight.defined() ? weight.data_ptr<T>() : nullptr, classes,
                                   ignore_index};
    T* o = out.data_ptr<T>();
    double loss_sum = 0, weight_sum = 0;
    for (int64_t i = 0; i < m; ++i) {
      check_target(in.target[i], classes, ignore_index);
      T loss, wi;
      in.sample(i, loss, wi);
      if (reduction == Reduction::None) o[i] = loss;
      loss_sum += loss;
      weight_sum += wi;
    }
    total_weight.data_ptr<T>()[0] = static_cast<T>(weight_sum);
    if (reduction == Reduction::Sum) o[0] = static_cast<T>(loss_sum);
    // All samples ignored: 0 / 0 = NaN, as PyTorch.
    if (reduction == Reduction::Mean) o[0] = static_cast<T>(loss_sum) / static_cast<T>(weight_sum);
  });
}

void nll_loss_backward_cpu(const Tensor& grad_input, const Tensor& grad, const Tensor& target,
                           const Tensor& weight, const Tensor& total_weight, int64_t ignore_index,
                           Reduction::Reduction reduction) {
  kernels::visit_floating_dtype(grad_input.dtype(), "nll_loss_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t m = grad_input.size(0), classes = grad_input.size(1);
    T* gi = grad_input.data_ptr<T>();
    std::memset(gi, 0, static_cast<size_t>(m * classes) * sizeof(T));
    const int64_t* t = target.data_ptr<int64_t>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* g = grad.data_ptr<T>();
    const T scale = kernels::nll_reduced_scale(g, total_weight.data_ptr<T>(), reduction);
    for (int64_t i = 0; i < m; ++i) {
      if (t[i] == ignore_index) continue;
      gi[i * classes + t[i]] =
          kernels::nll_grad(w, t[i], reduction == Reduction::None ? g[i] : scale);
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::nll_loss_kernel, CPU, &nll_loss_cpu);
AXON_REGISTER_KERNEL(kernels::nll_loss_backward_kernel, CPU, &nll_loss_backward_cpu);

}  // namespace axon::cpu
