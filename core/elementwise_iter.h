#pragma once
// Building the iteration space of an elementwise kernel (kernels/common/elementwise.h).

#include <initializer_list>
#include <optional>

#include "axon/tensor.h"
#include "kernels/common/elementwise.h"

namespace axon::detail {

// An input of an elementwise kernel: a tensor broadcastable to the output, or a host scalar
// converted to `dtype`.
struct IterInput {
  // NOLINTBEGIN(google-explicit-constructor)
  IterInput(const Tensor& t) : tensor(&t) {}
  IterInput(const Scalar& s, DType d) : scalar(s), dtype(d) {}
  // NOLINTEND(google-explicit-constructor)
  const Tensor* tensor = nullptr;
  Scalar scalar;
  DType dtype = DType::Float32;
};

// Broadcasts each input to `out`'s shape (stride 0), drops size-1 dims and merges dims that
// are contiguous for every operand, so that most kernels see one flat dim.
kernels::ElementwiseIter make_elementwise_iter(const Tensor& out,
                                               std::initializer_list<IterInput> inputs);

}  // namespace axon::detail
