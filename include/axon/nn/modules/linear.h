#pragma once
// Linear, Identity and Flatten.

#include "axon/nn/modules/common.h"

namespace axon::nn {

// y = x W^T + b, W of shape (out_features, in_features); initialised as PyTorch's
// (kaiming_uniform with a = sqrt(5), bias uniform in +-1/sqrt(in_features)).
class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features)
      : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  void reset();
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;
  Tensor bias;
};
AXON_MODULE(Linear);

class IdentityImpl : public Module {
 public:
  Tensor forward(const Tensor& input) { return input; }
};
AXON_MODULE(Identity);

class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(const FlattenOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) {
    return input.flatten(options.start_dim(), options.end_dim());
  }
  std::string extra_repr() const override;

  FlattenOptions options;
};
AXON_MODULE(Flatten);

}  // namespace axon::nn
