#pragma once
// Calling generic code with the C++ type of a runtime dtype:
//   visit_dtype(t.dtype(), [&](auto tag) { using T = typename decltype(tag)::type; ... });

#include <cstdint>

#include "axon/dtype.h"
#include "axon/error.h"

namespace axon::kernels {

template <typename T>
struct TypeTag {
  using type = T;
};

template <typename F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Bool:
      return f(TypeTag<bool>{});
    case DType::UInt8:
      return f(TypeTag<uint8_t>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      break;
  }
  return f(TypeTag<double>{});
}

template <typename F>
decltype(auto) visit_floating_dtype(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
    default:
      break;
  }
  AXON_ERROR("{}: expected a floating-point tensor, got {}", op, dtype);
}

}  // namespace axon::kernels
