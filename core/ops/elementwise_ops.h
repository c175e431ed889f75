#pragma once
// Elementwise building blocks shared by the op front-ends (defined in core/ops/elementwise.cpp).

#include "axon/tensor.h"
#include "core/elementwise_iter.h"
#include "kernels/common/elementwise.h"

namespace axon::detail {

// out = op(a, b) with type promotion and broadcasting (no autograd).
Tensor binary_op(kernels::BinaryOp op, const char* name, const Tensor& a, const Tensor& b,
                 const kernels::OpParams& params);
// out = op(a, scalar), or op(scalar, a) with scalar_first (no autograd).
Tensor binary_op(kernels::BinaryOp op, const char* name, const Tensor& a, const Scalar& b,
                 const kernels::OpParams& params, bool scalar_first);
// self = op(self, other) in self's dtype (no autograd, no version bump).
void binary_op_into(kernels::BinaryOp op, const char* name, const Tensor& self,
                    const IterInput& other, const kernels::OpParams& params);
// out = op(self), promoting integers for float-only ops (no autograd).
Tensor unary_op(kernels::UnaryOp op, const char* name, const Tensor& self,
                const kernels::OpParams& params = {});
// self = op(self) (no autograd, no version bump).
void unary_op_into(kernels::UnaryOp op, const char* name, const Tensor& self,
                   const kernels::OpParams& params = {});

// Checks for in-place ops: no broadcast (stride 0) output; no leaf or view while recording.
void check_inplace(const Tensor& self, const char* name);
void check_inplace_autograd(const Tensor& self, const char* name);
// Makes `self` hold `result`'s values and take over its autograd history.
Tensor& inplace_result(Tensor& self, const Tensor& result, const char* name);

// Fused backward passes over (grad, output).
Tensor threshold_backward(const Tensor& grad, const Tensor& output);
Tensor sigmoid_backward(const Tensor& grad, const Tensor& output);
Tensor tanh_backward(const Tensor& grad, const Tensor& output);

}  // namespace axon::detail
