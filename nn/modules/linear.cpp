#include "axon/nn/modules/linear.h"

#include <fmt/format.h>

#include <cmath>

#include "axon/nn/init.h"

namespace axon::nn {

LinearImpl::LinearImpl(const LinearOptions& options_) : options(options_) {
  AXON_CHECK(options.in_features() >= 0 && options.out_features() >= 0,
             "Linear: in_features and out_features must be non-negative, got {} and {}",
             options.in_features(), options.out_features());
  reset();
}

void LinearImpl::reset() {
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  bias = register_parameter("bias", options.bias() ? empty({options.out_features()}) : Tensor(),
                            /*requires_grad=*/options.bias());
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor LinearImpl::forward(const Tensor& input) { return axon::linear(input, weight, bias); }

std::string LinearImpl::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", options.in_features(),
                     options.out_features(), detail::py_bool(options.bias()));
}

}  // namespace axon::nn
