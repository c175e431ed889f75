#pragma once
// BatchNorm1d ((N, C) or (N, C, L) input) and BatchNorm2d ((N, C, H, W)): batch statistics in
// training, running statistics in eval (when tracked).

#include "axon/nn/modules/common.h"

namespace axon::nn {

class BatchNormImplBase : public Module {
 public:
  explicit BatchNormImplBase(const BatchNormOptions& options);
  void reset();
  void reset_running_stats();
  void reset_parameters();
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  BatchNormOptions options;
  Tensor weight;
  Tensor bias;
  Tensor running_mean;
  Tensor running_var;
  Tensor num_batches_tracked;

 protected:
  virtual void check_input_dim(const Tensor& input) const = 0;
};

class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  using BatchNormImplBase::BatchNormImplBase;

 protected:
  void check_input_dim(const Tensor& input) const override;
};
AXON_MODULE(BatchNorm1d);

class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  using BatchNormImplBase::BatchNormImplBase;

 protected:
  void check_input_dim(const Tensor& input) const override;
};
AXON_MODULE(BatchNorm2d);

}  // namespace axon::nn
