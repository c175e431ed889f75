#include "axon/dtype.h"

#include <array>
#include <ostream>

#include "axon/error.h"

namespace axon {
namespace {

constexpr std::array<std::string_view, kNumDTypes> kNames = {"bool", "uint8", "int64", "float32",
                                                             "float64"};

DType g_default_dtype = DType::Float32;

int index_of(DType dtype) {
  int i = static_cast<int>(dtype);
  AXON_CHECK(i >= 0 && i < kNumDTypes, "invalid dtype value {}", i);
  return i;
}

}  // namespace

std::string_view dtype_name(DType dtype) { return kNames[index_of(dtype)]; }

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // PyTorch's table restricted to our dtypes: bool < uint8 < int64 < float32 < float64.
  // uint8 with int64 gives int64; integers with floats give the float.
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

DType get_default_dtype() { return g_default_dtype; }
void set_default_dtype(DType dtype) {
  AXON_CHECK(is_floating_point(dtype), "set_default_dtype: expected a floating dtype, got {}",
             dtype);
  g_default_dtype = dtype;
}

std::ostream& operator<<(std::ostream& os, DType dtype) { return os << dtype_name(dtype); }

}  // namespace axon
