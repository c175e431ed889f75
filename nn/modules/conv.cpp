#include "axon/nn/modules/conv.h"

#include <fmt/format.h>

#include <cmath>

#include "axon/nn/init.h"

namespace axon::nn {

Conv2dImpl::Conv2dImpl(const Conv2dOptions& options_) : options(options_) {
  AXON_CHECK(options.in_channels() > 0 && options.out_channels() > 0,
             "Conv2d: in_channels and out_channels must be positive, got {} and {}",
             options.in_channels(), options.out_channels());
  AXON_CHECK(options.groups() > 0, "Conv2d: groups must be positive, got {}", options.groups());
  AXON_CHECK(options.in_channels() % options.groups() == 0,
             "Conv2d: in_channels ({}) must be divisible by groups ({})", options.in_channels(),
             options.groups());
  AXON_CHECK(options.out_channels() % options.groups() == 0,
             "Conv2d: out_channels ({}) must be divisible by groups ({})", options.out_channels(),
             options.groups());
  AXON_CHECK(options.kernel_size()[0] > 0 && options.kernel_size()[1] > 0,
             "Conv2d: kernel_size must be positive, got {}", repr_tuple(options.kernel_size()));
  reset();
}

void Conv2dImpl::reset() {
  weight = register_parameter(
      "weight", empty({options.out_channels(), options.in_channels() / options.groups(),
                       options.kernel_size()[0], options.kernel_size()[1]}));
  bias = register_parameter("bias", options.bias() ? empty({options.out_channels()}) : Tensor(),
                            options.bias());
  reset_parameters();
}

void Conv2dImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv2dImpl::forward(const Tensor& input) {
  return axon::conv2d(input, weight, bias, options.stride(), options.padding(), options.dilation(),
                      options.groups());
}

namespace {
// PyTorch prints conv sizes as tuples always: (5, 5).
std::string pair(const ExpandingArray<2>& a) { return fmt::format("({}, {})", a[0], a[1]); }
}  // namespace

std::string Conv2dImpl::extra_repr() const {
  std::string s =
      fmt::format("{}, {}, kernel_size={}, stride={}", options.in_channels(),
                  options.out_channels(), pair(options.kernel_size()), pair(options.stride()));
  if (options.padding() != ExpandingArray<2>(0)) s += ", padding=" + pair(options.padding());
  if (options.dilation() != ExpandingArray<2>(1)) s += ", dilation=" + pair(options.dilation());
  if (options.groups() != 1) s += fmt::format(", groups={}", options.groups());
  if (!options.bias()) s += ", bias=False";
  return s;
}

// Pooling sizes print as PyTorch prints what the user passed; axon keeps two values, so equal
// ones print as the single int the user most likely wrote (kernel_size=2).
namespace {
std::string size_repr(const ExpandingArray<2>& a) {
  return a[0] == a[1] ? std::to_string(a[0]) : pair(a);
}
}  // namespace

std::string MaxPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}",
                     size_repr(options.kernel_size()), size_repr(options.stride()),
                     size_repr(options.padding()), size_repr(options.dilation()),
                     detail::py_bool(options.ceil_mode()));
}

std::string AvgPool2dImpl::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", size_repr(options.kernel_size()),
                     size_repr(options.stride()), size_repr(options.padding()));
}

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  return fmt::format("output_size={}", size_repr(options.output_size()));
}

}  // namespace axon::nn
