#include "axon/scalar.h"

#include <fmt/format.h>

#include <ostream>

namespace axon {

DType Scalar::dtype() const {
  switch (kind_) {
    case Kind::Bool:
      return DType::Bool;
    case Kind::Int:
      return DType::Int64;
    case Kind::Double:
      break;
  }
  return get_default_dtype();
}

Scalar Scalar::operator-() const {
  switch (kind_) {
    case Kind::Bool:
    case Kind::Int:
      return Scalar(-value_.i);
    case Kind::Double:
      break;
  }
  return Scalar(-value_.d);
}

bool Scalar::equal(const Scalar& other) const {
  if (isFloatingPoint() || other.isFloatingPoint()) return toDouble() == other.toDouble();
  return value_.i == other.value_.i;
}

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  if (s.isBoolean()) return os << (s.toBool() ? "True" : "False");
  if (s.isIntegral()) return os << s.toLong();
  return os << fmt::format("{}", s.toDouble());
}

}  // namespace axon
