#include "core/elementwise_iter.h"

#include <algorithm>

#include "kernels/common/math.h"

namespace axon::detail {
namespace {

kernels::ElementwiseIter::ScalarValue scalar_value(const Scalar& s, DType dtype) {
  kernels::ElementwiseIter::ScalarValue v{};
  switch (dtype) {
    case DType::Bool:
      v.b = s.toBool();
      break;
    case DType::UInt8:
      v.u8 = s.isFloatingPoint() ? kernels::cast_to<uint8_t>(s.toDouble())
                                 : static_cast<uint8_t>(s.toLong());
      break;
    case DType::Int64:
      v.i64 = s.isFloatingPoint() ? kernels::cast_to<int64_t>(s.toDouble()) : s.toLong();
      break;
    case DType::Float32:
      v.f32 = static_cast<float>(s.toDouble());
      break;
    case DType::Float64:
      v.f64 = s.toDouble();
      break;
  }
  return v;
}

}  // namespace

kernels::ElementwiseIter make_elementwise_iter(const Tensor& out,
                                               std::initializer_list<IterInput> inputs) {
  kernels::ElementwiseIter it;
  it.noperands = 1 + static_cast<int>(inputs.size());
  it.numel = out.numel();
  const TensorImpl* out_impl = out.unsafeGetTensorImpl();
  const int64_t ndim = out_impl->dim();
  IntArrayRef shape = out_impl->sizes();

  // Full-rank strides for every operand, outermost dim first; broadcast dims get stride 0.
  int64_t strides[kernels::kMaxOperands][kMaxDims];
  std::copy_n(out_impl->strides().begin(), ndim, strides[0]);
  it.data[0] = static_cast<char*>(out_impl->data());
  it.dtypes[0] = out_impl->dtype();
  int k = 1;
  for (const IterInput& in : inputs) {
    if (in.tensor == nullptr) {
      it.is_scalar[k] = true;
      it.dtypes[k] = in.dtype;
      it.scalar[k] = scalar_value(in.scalar, in.dtype);
      std::fill_n(strides[k], ndim, 0);
    } else {
      const TensorImpl* t = in.tensor->unsafeGetTensorImpl();
      const int64_t offset = ndim - t->dim();
      IntArrayRef sizes = t->sizes(), in_strides = t->strides();
      std::fill_n(strides[k], offset, 0);
      for (int64_t d = 0; d < t->dim(); ++d) {
        strides[k][d + offset] = sizes[d] == 1 ? 0 : in_strides[d];
      }
      it.data[k] = static_cast<char*>(t->data());
      it.dtypes[k] = t->dtype();
    }
    ++k;
  }

  // Drop size-1 dims, then merge neighbours that are contiguous for every operand.
  int n = 0;
  for (int64_t d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    it.shape[n] = shape[d];
    for (int op = 0; op < it.noperands; ++op) it.strides[op][n] = strides[op][d];
    ++n;
  }
  if (n == 0) {
    it.shape[0] = 1;
    for (int op = 0; op < it.noperands; ++op) it.strides[op][0] = 0;
    n = 1;
  }
  int merged = 0;
  for (int d = 1; d < n; ++d) {
    bool can_merge = true;
    for (int op = 0; op < it.noperands && can_merge; ++op) {
      can_merge = it.strides[op][merged] == it.strides[op][d] * it.shape[d];
    }
    if (can_merge) {
      it.shape[merged] *= it.shape[d];
      for (int op = 0; op < it.noperands; ++op) it.strides[op][merged] = it.strides[op][d];
    } else {
      ++merged;
      it.shape[merged] = it.shape[d];
      for (int op = 0; op < it.noperands; ++op) it.strides[op][merged] = it.strides[op][d];
    }
  }
  it.ndim = merged + 1;
  if (it.numel == 0) it.shape[0] = 0;
  return it;
}

}  // namespace axon::detail
