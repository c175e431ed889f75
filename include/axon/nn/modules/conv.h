#pragma once
// Conv2d and the 2-d pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

#include "axon/nn/functional.h"
#include "axon/nn/modules/common.h"

namespace axon::nn {

// Weight (out_channels, in_channels / groups, kH, kW), initialised as PyTorch's (kaiming_uniform
// with a = sqrt(5); bias uniform in +-1/sqrt(fan_in)).
class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(const Conv2dOptions& options);
  void reset();
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  Conv2dOptions options;
  Tensor weight;
  Tensor bias;
};
AXON_MODULE(Conv2d);

class MaxPool2dImpl : public Module {
 public:
  MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}
  explicit MaxPool2dImpl(const MaxPool2dOptions& options) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::max_pool2d(input, options); }
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input) {
    return functional::max_pool2d_with_indices(input, options);
  }
  std::string extra_repr() const override;
  MaxPool2dOptions options;
};
AXON_MODULE(MaxPool2d);

class AvgPool2dImpl : public Module {
 public:
  AvgPool2dImpl(ExpandingArray<2> kernel_size) : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}
  explicit AvgPool2dImpl(const AvgPool2dOptions& options) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::avg_pool2d(input, options); }
  std::string extra_repr() const override;
  AvgPool2dOptions options;
};
AXON_MODULE(AvgPool2d);

class AdaptiveAvgPool2dImpl : public Module {
 public:
  AdaptiveAvgPool2dImpl(ExpandingArray<2> output_size)
      : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(output_size)) {}
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }
  std::string extra_repr() const override;
  AdaptiveAvgPool2dOptions options;
};
AXON_MODULE(AdaptiveAvgPool2d);

}  // namespace axon::nn
