#pragma once
// Math for element functors, the same on host and device. Integer types never reach the
// transcendental functions (ops promote integers to float first).

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/common/macros.h"

namespace axon::kernels {

template <typename T>
AXON_HOST_DEVICE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return x != x;
  } else {
    return false;
  }
}

// x < 0 without a pointless-comparison warning for unsigned types.
template <typename T>
AXON_HOST_DEVICE bool is_negative(T x) {
  if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) {
    return false;
  } else {
    return x < T(0);
  }
}

#if defined(__CUDA_ARCH__)
#define AXON_MATH_FN(name, float_fn, double_fn)                  \
  AXON_HOST_DEVICE float name(float x) { return ::float_fn(x); } \
  AXON_HOST_DEVICE double name(double x) { return ::double_fn(x); }
#else
#define AXON_MATH_FN(name, float_fn, double_fn)                      \
  AXON_HOST_DEVICE float name(float x) { return std::double_fn(x); } \
  AXON_HOST_DEVICE double name(double x) { return std::double_fn(x); }
#endif

AXON_MATH_FN(ax_exp, expf, exp)
AXON_MATH_FN(ax_log, logf, log)
AXON_MATH_FN(ax_log1p, log1pf, log1p)
AXON_MATH_FN(ax_sqrt, sqrtf, sqrt)
AXON_MATH_FN(ax_sin, sinf, sin)
AXON_MATH_FN(ax_cos, cosf, cos)
AXON_MATH_FN(ax_tanh, tanhf, tanh)
AXON_MATH_FN(ax_fabs, fabsf, fabs)
AXON_MATH_FN(ax_erf, erff, erf)
AXON_MATH_FN(ax_expm1, expm1f, expm1)
#undef AXON_MATH_FN

AXON_HOST_DEVICE float ax_pow(float a, float b) {
#if defined(__CUDA_ARCH__)
  return ::powf(a, b);
#else
  return std::pow(a, b);
#endif
}
AXON_HOST_DEVICE double ax_pow(double a, double b) {
#if defined(__CUDA_ARCH__)
  return ::pow(a, b);
#else
  return std::pow(a, b);
#endif
}

// a * b + c with one rounding.
AXON_HOST_DEVICE float ax_fma(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return ::fmaf(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}
AXON_HOST_DEVICE double ax_fma(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return ::fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// Integer power with PyTorch's rules for negative exponents.
template <typename T>
AXON_HOST_DEVICE T int_pow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent % 2 == 0) ? 1 : -1;
      return 0;
    }
  }
  T result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = static_cast<T>(result * base);
    base = static_cast<T>(base * base);
    exponent = static_cast<T>(exponent >> 1);
  }
  return result;
}

// Converts between element types without undefined behaviour: floats outside an integer
// type's range (and NaN) become the type's minimum, as x86 conversions do; bool is x != 0.
template <typename To, typename From>
AXON_HOST_DEVICE To cast_to(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Through int64, then wrap into narrower types as integer conversions do.
    constexpr double lo = -9223372036854775808.0;  // -2^63
    if (!(x >= lo && x < -lo)) return static_cast<To>(std::numeric_limits<int64_t>::min());
    return static_cast<To>(static_cast<int64_t>(x));
  } else {
    return static_cast<To>(x);
  }
}

}  // namespace axon::kernels
