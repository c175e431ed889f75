#pragma once
// Dropout (elementwise) and Dropout2d (whole channels; LibTorch's older name FeatureDropout).
// Active in training mode only.

#include "axon/nn/functional.h"
#include "axon/nn/modules/common.h"

namespace axon::nn {

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  DropoutOptions options;
};
AXON_MODULE(Dropout);

class Dropout2dImpl : public Module {
 public:
  explicit Dropout2dImpl(const Dropout2dOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;
  Dropout2dOptions options;
};
AXON_MODULE(Dropout2d);

using FeatureDropoutImpl = Dropout2dImpl;
using FeatureDropout = Dropout2d;

}  // namespace axon::nn
