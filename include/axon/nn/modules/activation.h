#pragma once
// Activation layers: ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, LogSigmoid, Softmax,
// LogSoftmax.

#include "axon/nn/functional.h"
#include "axon/nn/modules/common.h"

namespace axon::nn {

class ReLUImpl : public Module {
 public:
  explicit ReLUImpl(const ReLUOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::relu(input, options); }
  std::string extra_repr() const override { return options.inplace() ? "inplace=True" : ""; }
  ReLUOptions options;
};
AXON_MODULE(ReLU);

class LeakyReLUImpl : public Module {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::leaky_relu(input, options); }
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};
AXON_MODULE(LeakyReLU);

class ELUImpl : public Module {
 public:
  explicit ELUImpl(const ELUOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::elu(input, options); }
  std::string extra_repr() const override;
  ELUOptions options;
};
AXON_MODULE(ELU);

class GELUImpl : public Module {
 public:
  explicit GELUImpl(const GELUOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) { return functional::gelu(input, options); }
  std::string extra_repr() const override { return "approximate='" + options.approximate() + "'"; }
  GELUOptions options;
};
AXON_MODULE(GELU);

#define AXON_PLAIN_ACTIVATION(Name, fn)                       \
  class Name##Impl : public Module {                          \
   public:                                                    \
    Tensor forward(const Tensor& input) { return fn(input); } \
  };                                                          \
  AXON_MODULE(Name)
AXON_PLAIN_ACTIVATION(SiLU, axon::silu);
AXON_PLAIN_ACTIVATION(Sigmoid, axon::sigmoid);
AXON_PLAIN_ACTIVATION(Tanh, axon::tanh);
AXON_PLAIN_ACTIVATION(LogSigmoid, axon::log_sigmoid);
#undef AXON_PLAIN_ACTIVATION

class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : options(dim) {}
  explicit SoftmaxImpl(const SoftmaxOptions& options) : options(options) {}
  Tensor forward(const Tensor& input) { return axon::softmax(input, options.dim()); }
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  SoftmaxOptions options;
};
AXON_MODULE(Softmax);

class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : options(dim) {}
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options) : options(options) {}
  Tensor forward(const Tensor& input) { return axon::log_softmax(input, options.dim()); }
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  LogSoftmaxOptions options;
};
AXON_MODULE(LogSoftmax);

}  // namespace axon::nn
