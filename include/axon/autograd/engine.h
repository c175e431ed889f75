#pragma once
// Running the graph backward, as torch::autograd::backward and torch::autograd::grad.

#include <optional>

#include "axon/tensor.h"

namespace axon::autograd {

// Accumulates the gradients of `tensors` into the .grad() of the leaves they depend on (or only
// of `inputs` when given). `grad_tensors` may be empty for scalar outputs.
void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const variable_list& inputs = {});

// Returns the gradients of `outputs` with respect to `inputs` without touching any .grad().
// An input the outputs do not depend on is an error unless allow_unused (then undefined).
variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs = {},
                   std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                   bool allow_unused = false);

}  // namespace axon::autograd
