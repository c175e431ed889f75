#pragma once
// The combine step of each reduction, shared by the CPU and CUDA kernels (kernels/*/reduce.*):
// an identity and an associative combine over an accumulator type.

#include <limits>
#include <type_traits>

#include "kernels/common/macros.h"
#include "kernels/common/math.h"

namespace axon::kernels {

// Floating sums and products accumulate in double on both devices (PyTorch's CPU acc_type; its
// CUDA one is float for float32, but a double add costs nothing in a memory-bound loop).
template <typename T>
using ReduceAcc = std::conditional_t<std::is_floating_point_v<T>, double, T>;

// A bool sum is "any" and a bool product "all", as PyTorch's sum/prod(dtype=torch.bool).
template <typename T>
struct SumReduce {
  using Acc = ReduceAcc<T>;
  static AXON_HOST_DEVICE Acc identity() { return Acc(0); }
  static AXON_HOST_DEVICE Acc combine(Acc a, Acc b) {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else {
      return static_cast<Acc>(a + b);
    }
  }
};

template <typename T>
struct ProdReduce {
  using Acc = ReduceAcc<T>;
  static AXON_HOST_DEVICE Acc identity() { return Acc(1); }
  static AXON_HOST_DEVICE Acc combine(Acc a, Acc b) {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else {
      return static_cast<Acc>(a * b);
    }
  }
};

// max and min propagate NaN.
template <typename T>
struct MaxReduce {
  using Acc = ReduceAcc<T>;
  static AXON_HOST_DEVICE Acc identity() {
    if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<Acc>::infinity();
    return std::numeric_limits<Acc>::lowest();
  }
  static AXON_HOST_DEVICE Acc combine(Acc a, Acc b) {
    if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
    return a > b ? a : b;
  }
};

template <typename T>
struct MinReduce {
  using Acc = ReduceAcc<T>;
  static AXON_HOST_DEVICE Acc identity() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<Acc>::infinity();
    return std::numeric_limits<Acc>::max();
  }
  static AXON_HOST_DEVICE Acc combine(Acc a, Acc b) {
    if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
    return a < b ? a : b;
  }
};

// Whether `candidate`, found after `best`, replaces it in an arg-max (arg-min): strictly better,
// or the first NaN. So the first occurrence wins ties and the first NaN wins outright.
template <typename T>
AXON_HOST_DEVICE bool arg_better(T candidate, T best, bool is_max) {
  if (is_nan(best)) return false;
  if (is_nan(candidate)) return true;
  return is_max ? candidate > best : candidate < best;
}

}  // namespace axon::kernels
