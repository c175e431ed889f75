#pragma once
// Element types. The enum leaves room for float16/bfloat16: adding one means a value here, a
// row in the traits table in dtype.cpp, and a case in AXON_DISPATCH_* (core/dispatch_types.h).

#include <fmt/ostream.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace axon {

enum class DType : int8_t {
  Bool = 0,
  UInt8,
  Int64,
  Float32,
  Float64,
  // Float16, BFloat16: reserved, not yet implemented.
};
inline constexpr int kNumDTypes = 5;

// LibTorch's spellings (torch::kFloat32 becomes axon::kFloat32).
inline constexpr DType kBool = DType::Bool;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kByte = DType::UInt8;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kLong = DType::Int64;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kDouble = DType::Float64;

// LibTorch calls the element type ScalarType; the two names are the same type.
using ScalarType = DType;

constexpr size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Bool:
    case DType::UInt8:
      return 1;
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      break;
  }
  return 8;
}
// "float32", "int64", ...
std::string_view dtype_name(DType dtype);
constexpr bool is_floating_point(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}
constexpr bool is_integral(DType dtype, bool include_bool = false) {
  return dtype == DType::UInt8 || dtype == DType::Int64 || (include_bool && dtype == DType::Bool);
}
// The dtype that holds both, following PyTorch's promotion table.
DType promote_types(DType a, DType b);

// The dtype new floating-point tensors get (float32 unless changed).
DType get_default_dtype();
void set_default_dtype(DType dtype);

std::ostream& operator<<(std::ostream& os, DType dtype);

template <typename T>
struct CppTypeToDType;
template <>
struct CppTypeToDType<bool> {
  static constexpr DType value = DType::Bool;
};
template <>
struct CppTypeToDType<uint8_t> {
  static constexpr DType value = DType::UInt8;
};
template <>
struct CppTypeToDType<int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct CppTypeToDType<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct CppTypeToDType<double> {
  static constexpr DType value = DType::Float64;
};
template <typename T>
inline constexpr DType dtype_of = CppTypeToDType<T>::value;

}  // namespace axon

template <>
struct fmt::formatter<axon::DType> : fmt::ostream_formatter {};
