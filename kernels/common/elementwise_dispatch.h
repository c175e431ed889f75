#pragma once
// From an op enum and a dtype to a functor and element types, once for every backend: a
// backend's launcher only says how to run one functor over one input/output type pair.
//
//   dispatch_unary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
//     using In = typename decltype(in)::type;
//     using Out = typename decltype(out)::type;
//     ... run `functor` over `it` reading In and writing Out ...
//   });

#include "axon/error.h"
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/elementwise.h"

namespace axon::kernels {

template <typename Op, int Arity, typename Launch>
void launch_functor(const OpParams& params, DType dtype, const Launch& launch) {
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (type_in(Op::types, dtype_of<T>)) {
      const Op op(params);
      if constexpr (Arity == 1) {
        launch(op, TypeTag<T>{}, TypeTag<decltype(op(T{}))>{});
      } else {
        launch(op, TypeTag<T>{}, TypeTag<decltype(op(T{}, T{}))>{});
      }
    } else {
      // Core checks the dtype against the op's type set before it calls a kernel.
      AXON_INTERNAL_ASSERT(false, "elementwise op not defined for {}", dtype);
    }
  });
}

template <typename Launch>
void dispatch_unary(UnaryOp op, const OpParams& params, DType dtype, const Launch& launch) {
  switch (op) {
#define AXON_CASE(name, functor)                       \
  case UnaryOp::name:                                  \
    launch_functor<functor, 1>(params, dtype, launch); \
    return;
    AXON_UNARY_OPS(AXON_CASE)
#undef AXON_CASE
  }
}

template <typename Launch>
void dispatch_binary(BinaryOp op, const OpParams& params, DType dtype, const Launch& launch) {
  switch (op) {
#define AXON_CASE(name, functor)                       \
  case BinaryOp::name:                                 \
    launch_functor<functor, 2>(params, dtype, launch); \
    return;
    AXON_BINARY_OPS(AXON_CASE)
#undef AXON_CASE
  }
}

}  // namespace axon::kernels
