#pragma once
// The node at a leaf: it adds the incoming gradient into the leaf's .grad().
//
// It holds the leaf weakly. A strong reference would close a cycle whenever a gradient keeps its
// graph (create_graph): leaf -> grad -> graph -> this node -> leaf, and none of it would ever be
// freed. A leaf that nothing else holds has a gradient nobody can read, so skipping it is the
// same.

#include "axon/autograd/node.h"

namespace axon::autograd {

class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;

 private:
  std::weak_ptr<TensorImpl> variable_;
};

}  // namespace axon::autograd
