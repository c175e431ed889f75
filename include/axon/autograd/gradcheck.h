#pragma once
// gradcheck: compares the analytic backward with central differences in float64, as
// torch.autograd.gradcheck does. Inputs should be float64 tensors with requires_grad set.

#include <functional>
#include <string>

#include "axon/tensor.h"

namespace axon::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  // Throw an axon::Error saying what disagreed instead of printing it and returning false.
  bool raise_exception = false;
};

// True when every analytic gradient matches its numerical estimate. When one does not, it
// says which output, input and element disagree and both values (on stderr, or in the thrown
// error with raise_exception).
bool gradcheck(const std::function<variable_list(const variable_list&)>& fn,
               const variable_list& inputs, const GradcheckOptions& options = {});
bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& options = {});

}  // namespace axon::autograd

namespace axon {
using autograd::gradcheck;
using autograd::GradcheckOptions;
}  // namespace axon
