#pragma once
// Scalar: one number of any dtype, as in LibTorch (t + 2, full({2}, 1.5), item()).

#include <fmt/ostream.h>

#include <cstdint>
#include <iosfwd>
#include <type_traits>

#include "axon/dtype.h"

namespace axon {

class Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Double };

  Scalar() : Scalar(int64_t{0}) {}
  // NOLINTBEGIN(google-explicit-constructor): numbers convert to Scalar implicitly.
  Scalar(bool v) : kind_(Kind::Bool) { value_.i = v ? 1 : 0; }
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(Kind::Int) {
    value_.i = static_cast<int64_t>(v);
  }
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(Kind::Double) {
    value_.d = static_cast<double>(v);
  }
  // NOLINTEND(google-explicit-constructor)

  Kind kind() const { return kind_; }
  bool isFloatingPoint() const { return kind_ == Kind::Double; }
  bool isIntegral(bool include_bool = false) const {
    return kind_ == Kind::Int || (include_bool && kind_ == Kind::Bool);
  }
  bool isBoolean() const { return kind_ == Kind::Bool; }

  template <typename T>
  T to() const {
    if (kind_ == Kind::Double) return static_cast<T>(value_.d);
    if constexpr (std::is_same_v<T, bool>) return value_.i != 0;
    return static_cast<T>(value_.i);
  }
  double toDouble() const { return to<double>(); }
  float toFloat() const { return to<float>(); }
  int64_t toLong() const { return to<int64_t>(); }
  bool toBool() const { return kind_ == Kind::Double ? value_.d != 0 : value_.i != 0; }

  // The dtype PyTorch gives a tensor made from this value: bool, int64 or the default float.
  DType dtype() const;
  Scalar operator-() const;
  bool equal(const Scalar& other) const;

 private:
  Kind kind_;
  union {
    int64_t i;
    double d;
  } value_;
};

std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace axon

template <>
struct fmt::formatter<axon::Scalar> : fmt::ostream_formatter {};
