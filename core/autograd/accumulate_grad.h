#pragma once
// The node at a leaf: it adds the incoming gradient into the leaf's .grad().

#include "axon/autograd/node.h"

namespace axon::autograd {

class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

}  // namespace axon::autograd
