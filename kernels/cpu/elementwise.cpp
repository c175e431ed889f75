// CPU launchers for the elementwise functors of kernels/common/elementwise.h.
#include "kernels/common/elementwise.h"

#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/elementwise_dispatch.h"
#include "kernels/cpu/loops.h"

namespace axon::cpu {
namespace {

using kernels::BinaryOp;
using kernels::ElementwiseIter;
using kernels::OpParams;
using kernels::UnaryOp;

void unary_cpu(UnaryOp op, const OpParams& params, const ElementwiseIter& it) {
  kernels::dispatch_unary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    unary_loop<typename decltype(in)::type, typename decltype(out)::type>(it, functor);
  });
}

void binary_cpu(BinaryOp op, const OpParams& params, const ElementwiseIter& it) {
  kernels::dispatch_binary(op, params, it.dtypes[1], [&](auto functor, auto in, auto out) {
    binary_loop<typename decltype(in)::type, typename decltype(out)::type>(it, functor);
  });
}

void where_cpu(const ElementwiseIter& it) {
  kernels::visit_dtype(it.dtypes[0], [&](auto tag) {
    using T = typename decltype(tag)::type;
    const kernels::WhereOp op;
    parallel_runs(it, [&op](char** p, const int64_t* s, int64_t n) {
      auto* out = reinterpret_cast<T*>(p[0]);
      const auto* c = reinterpret_cast<const bool*>(p[1]);
      const auto* a = reinterpret_cast<const T*>(p[2]);
      const auto* b = reinterpret_cast<const T*>(p[3]);
      for (int64_t i = 0; i < n; ++i) out[i * s[0]] = op(c[i * s[1]], a[i * s[2]], b[i * s[3]]);
    });
  });
}

void copy_cpu(const ElementwiseIter& it) {
  kernels::visit_dtype(it.dtypes[0], [&](auto out_tag) {
    using Out = typename decltype(out_tag)::type;
    kernels::visit_dtype(it.dtypes[1], [&](auto in_tag) {
      using In = typename decltype(in_tag)::type;
      unary_loop<In, Out>(it, [](In x) { return kernels::cast_to<Out>(x); });
    });
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::unary_kernel, CPU, &unary_cpu);
AXON_REGISTER_KERNEL(kernels::binary_kernel, CPU, &binary_cpu);
AXON_REGISTER_KERNEL(kernels::where_kernel, CPU, &where_cpu);
AXON_REGISTER_KERNEL(kernels::copy_kernel, CPU, &copy_cpu);

}  // namespace axon::cpu
