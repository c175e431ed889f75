#pragma once
// Elementwise math, written once for every device.
//
// Each op is a functor with a host-device call operator. The op lists (AXON_UNARY_OPS,
// AXON_BINARY_OPS) are the one place that names them: the CPU and CUDA launchers expand the
// lists to instantiate their loops, and core dispatches by the enum the lists generate. Adding
// an elementwise op is a functor and a list entry here, its front-end and backward in
// core/ops/, and its declaration in include/axon/functions.h.
//
// `types` says which element types an op is defined for; core promotes or rejects others
// before the kernel runs.

#include <cstdint>

#include "axon/array_ref.h"
#include "axon/dtype.h"
#include "core/dispatch.h"
#include "kernels/common/math.h"

namespace axon::kernels {

// ---- element type sets ----------------------------------------------------------------------
enum TypeSet : unsigned {
  kBoolType = 1u << static_cast<int>(DType::Bool),
  kUInt8Type = 1u << static_cast<int>(DType::UInt8),
  kInt64Type = 1u << static_cast<int>(DType::Int64),
  kFloat32Type = 1u << static_cast<int>(DType::Float32),
  kFloat64Type = 1u << static_cast<int>(DType::Float64),
  kFloatingTypes = kFloat32Type | kFloat64Type,
  kIntegralTypes = kUInt8Type | kInt64Type,
  kNumericTypes = kFloatingTypes | kIntegralTypes,
  kAllTypes = kNumericTypes | kBoolType,
};
constexpr bool type_in(unsigned set, DType dtype) {
  return (set & (1u << static_cast<int>(dtype))) != 0;
}

// ---- the iteration space --------------------------------------------------------------------
// Operand 0 is the output. Dims are ordered outermost first and already broadcast (stride 0)
// and coalesced by core. Strides are in elements. A host scalar operand (t + 2) keeps its value
// in `scalar` with all strides 0, so loops need no special case for it.
inline constexpr int kMaxOperands = 4;

struct ElementwiseIter {
  int ndim = 0;
  int noperands = 0;
  int64_t numel = 0;
  int64_t shape[kMaxDims];                  // entries past ndim are never read
  int64_t strides[kMaxOperands][kMaxDims];  // likewise
  char* data[kMaxOperands] = {};
  DType dtypes[kMaxOperands] = {};
  bool is_scalar[kMaxOperands] = {};
  union ScalarValue {
    bool b;
    uint8_t u8;
    int64_t i64;
    float f32;
    double f64;
  } scalar[kMaxOperands] = {};

  // Where operand i's elements start (its scalar slot for a host scalar). On the GPU the
  // iterator is a kernel argument, so the scalar slot travels with it.
  AXON_HOST_DEVICE char* operand_data(int i) const {
    return is_scalar[i] ? reinterpret_cast<char*>(const_cast<ScalarValue*>(&scalar[i])) : data[i];
  }
};

// Parameters of parameterised ops (alpha of add, bounds of clamp).
struct OpParams {
  double a = 0;
  double b = 0;
};

// ---- unary functors -------------------------------------------------------------------------
#define AXON_SIMPLE_UNARY(Name, type_set, expr) \
  struct Name {                                 \
    static constexpr unsigned types = type_set; \
    explicit Name(const OpParams&) {}           \
    template <typename T>                       \
    AXON_HOST_DEVICE T operator()(T x) const {  \
      return expr;                              \
    }                                           \
  };

AXON_SIMPLE_UNARY(NegOp, kNumericTypes, static_cast<T>(-x))
AXON_SIMPLE_UNARY(ExpOp, kFloatingTypes, ax_exp(x))
AXON_SIMPLE_UNARY(LogOp, kFloatingTypes, ax_log(x))
AXON_SIMPLE_UNARY(Log1pOp, kFloatingTypes, ax_log1p(x))
AXON_SIMPLE_UNARY(SqrtOp, kFloatingTypes, ax_sqrt(x))
AXON_SIMPLE_UNARY(RsqrtOp, kFloatingTypes, T(1) / ax_sqrt(x))
AXON_SIMPLE_UNARY(SinOp, kFloatingTypes, ax_sin(x))
AXON_SIMPLE_UNARY(CosOp, kFloatingTypes, ax_cos(x))
AXON_SIMPLE_UNARY(TanhOp, kFloatingTypes, ax_tanh(x))
AXON_SIMPLE_UNARY(SigmoidOp, kFloatingTypes, T(1) / (T(1) + ax_exp(-x)))
// relu keeps NaN (x < 0 is false for NaN), as PyTorch's does.
AXON_SIMPLE_UNARY(ReluOp, kNumericTypes, is_negative(x) ? T(0) : x)
AXON_SIMPLE_UNARY(SignOp, kNumericTypes, static_cast<T>((T(0) < x) - is_negative(x)))
#undef AXON_SIMPLE_UNARY

// Activations with a parameter: a = negative slope (leaky_relu), alpha (elu), 1 for gelu's tanh
// approximation. Formulas as PyTorch's CPU kernels (aten/src/ATen/native/cpu/Activation.cpp).
struct LeakyReluOp {
  static constexpr unsigned types = kFloatingTypes;
  double slope;
  explicit LeakyReluOp(const OpParams& p) : slope(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x : x * static_cast<T>(slope);
  }
};
struct EluOp {
  static constexpr unsigned types = kFloatingTypes;
  double alpha;
  explicit EluOp(const OpParams& p) : alpha(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    return x <= T(0) ? ax_expm1(x) * static_cast<T>(alpha) : x;
  }
};
struct GeluOp {
  static constexpr unsigned types = kFloatingTypes;
  bool tanh_approximation;
  explicit GeluOp(const OpParams& p) : tanh_approximation(p.a != 0) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    if (tanh_approximation) {
      const T kBeta = T(0.7978845608028654);  // sqrt(2 / pi)
      const T kKappa = T(0.044715);
      T inner = kBeta * (x + kKappa * x * x * x);
      return T(0.5) * x * (T(1) + ax_tanh(inner));
    }
    return x * T(0.5) * (T(1) + ax_erf(x * T(0.7071067811865476)));
  }
};
struct SiluOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit SiluOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    return x / (T(1) + ax_exp(-x));
  }
};
// log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)): no overflow for any x.
struct LogSigmoidOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit LogSigmoidOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    T min_x = x < T(0) ? x : T(0);
    return min_x - ax_log1p(ax_exp(-ax_fabs(x)));
  }
};
struct SquareOp {
  static constexpr unsigned types = kNumericTypes;
  explicit SquareOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    return static_cast<T>(x * x);
  }
};

struct AbsOp {
  static constexpr unsigned types = kNumericTypes;
  explicit AbsOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return ax_fabs(x);
    } else if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else {
      return x < 0 ? static_cast<T>(-x) : x;
    }
  }
};

// Bounds are NaN-propagating: a NaN element stays NaN.
struct ClampOp {
  static constexpr unsigned types = kNumericTypes;
  double lo, hi;
  explicit ClampOp(const OpParams& p) : lo(p.a), hi(p.b) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    T l = static_cast<T>(lo), h = static_cast<T>(hi);
    T y = x < l ? l : x;
    return y > h ? h : y;
  }
};
struct ClampMinOp {
  static constexpr unsigned types = kNumericTypes;
  double lo;
  explicit ClampMinOp(const OpParams& p) : lo(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    T l = static_cast<T>(lo);
    return x < l ? l : x;
  }
};
struct ClampMaxOp {
  static constexpr unsigned types = kNumericTypes;
  double hi;
  explicit ClampMaxOp(const OpParams& p) : hi(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T x) const {
    T h = static_cast<T>(hi);
    return x > h ? h : x;
  }
};

// Predicates: any input type, bool output.
struct LogicalNotOp {
  static constexpr unsigned types = kAllTypes;
  explicit LogicalNotOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE bool operator()(T x) const {
    return !(x != T(0));
  }
};
struct IsNanOp {
  static constexpr unsigned types = kAllTypes;
  explicit IsNanOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE bool operator()(T x) const {
    return is_nan(x);
  }
};
struct IsInfOp {
  static constexpr unsigned types = kAllTypes;
  explicit IsInfOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x - x != x - x && !is_nan(x);
    } else {
      return false;
    }
  }
};
struct IsFiniteOp {
  static constexpr unsigned types = kAllTypes;
  explicit IsFiniteOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE bool operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return x - x == x - x;
    } else {
      return true;
    }
  }
};

// X(enum name, functor)
#define AXON_UNARY_OPS(X)     \
  X(Neg, NegOp)               \
  X(Exp, ExpOp)               \
  X(Log, LogOp)               \
  X(Log1p, Log1pOp)           \
  X(Sqrt, SqrtOp)             \
  X(Rsqrt, RsqrtOp)           \
  X(Abs, AbsOp)               \
  X(Sign, SignOp)             \
  X(Sin, SinOp)               \
  X(Cos, CosOp)               \
  X(Tanh, TanhOp)             \
  X(Sigmoid, SigmoidOp)       \
  X(Relu, ReluOp)             \
  X(LeakyRelu, LeakyReluOp)   \
  X(Elu, EluOp)               \
  X(Gelu, GeluOp)             \
  X(Silu, SiluOp)             \
  X(LogSigmoid, LogSigmoidOp) \
  X(Square, SquareOp)         \
  X(Clamp, ClampOp)           \
  X(ClampMin, ClampMinOp)     \
  X(ClampMax, ClampMaxOp)     \
  X(LogicalNot, LogicalNotOp) \
  X(IsNan, IsNanOp)           \
  X(IsInf, IsInfOp)           \
  X(IsFinite, IsFiniteOp)

// ---- binary functors ------------------------------------------------------------------------
struct AddOp {
  static constexpr unsigned types = kAllTypes;
  double alpha;
  explicit AddOp(const OpParams& p) : alpha(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || (b && alpha != 0);
    } else {
      return static_cast<T>(a + static_cast<T>(alpha) * b);
    }
  }
};
struct SubOp {
  static constexpr unsigned types = kNumericTypes;
  double alpha;
  explicit SubOp(const OpParams& p) : alpha(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    return static_cast<T>(a - static_cast<T>(alpha) * b);
  }
};
struct MulOp {
  static constexpr unsigned types = kAllTypes;
  explicit MulOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else {
      return static_cast<T>(a * b);
    }
  }
};
struct DivOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit DivOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    return a / b;
  }
};
struct PowOp {
  static constexpr unsigned types = kNumericTypes;
  explicit PowOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return ax_pow(a, b);
    } else {
      return int_pow(a, b);
    }
  }
};
// maximum/minimum propagate NaN from either side, as PyTorch's do.
struct MaximumOp {
  static constexpr unsigned types = kAllTypes;
  explicit MaximumOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
    return a > b ? a : b;
  }
};
struct MinimumOp {
  static constexpr unsigned types = kAllTypes;
  explicit MinimumOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T a, T b) const {
    if (is_nan(a) || is_nan(b)) return is_nan(a) ? a : b;
    return a < b ? a : b;
  }
};

#define AXON_COMPARISON(Name, expr)                    \
  struct Name {                                        \
    static constexpr unsigned types = kAllTypes;       \
    explicit Name(const OpParams&) {}                  \
    template <typename T>                              \
    AXON_HOST_DEVICE bool operator()(T a, T b) const { \
      return expr;                                     \
    }                                                  \
  };
AXON_COMPARISON(EqOp, a == b)
AXON_COMPARISON(NeOp, a != b)
AXON_COMPARISON(LtOp, a < b)
AXON_COMPARISON(LeOp, a <= b)
AXON_COMPARISON(GtOp, a > b)
AXON_COMPARISON(GeOp, a >= b)
AXON_COMPARISON(LogicalAndOp, (a != T(0)) && (b != T(0)))
AXON_COMPARISON(LogicalOrOp, (a != T(0)) || (b != T(0)))
AXON_COMPARISON(LogicalXorOp, (a != T(0)) != (b != T(0)))
#undef AXON_COMPARISON

// Backward helpers: (grad, saved output) -> grad input, fused so backward is one pass.
struct ReluBackwardOp {
  static constexpr unsigned types = kNumericTypes;
  explicit ReluBackwardOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T result) const {
    return result > T(0) ? grad : T(0);
  }
};
struct SigmoidBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit SigmoidBackwardOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T result) const {
    return grad * (T(1) - result) * result;
  }
};
struct TanhBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit TanhBackwardOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T result) const {
    return grad * (T(1) - result * result);
  }
};

// (grad, input) -> grad input for the activations above; same parameters as the forward.
struct LeakyReluBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  double slope;
  explicit LeakyReluBackwardOp(const OpParams& p) : slope(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T x) const {
    return x > T(0) ? grad : grad * static_cast<T>(slope);
  }
};
struct EluBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  double alpha;
  explicit EluBackwardOp(const OpParams& p) : alpha(p.a) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T x) const {
    return x <= T(0) ? grad * static_cast<T>(alpha) * ax_exp(x) : grad;
  }
};
struct GeluBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  bool tanh_approximation;
  explicit GeluBackwardOp(const OpParams& p) : tanh_approximation(p.a != 0) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T x) const {
    if (tanh_approximation) {
      const T kBeta = T(0.7978845608028654);
      const T kKappa = T(0.044715);
      T x_sq = x * x;
      T inner = kBeta * (x + kKappa * x_sq * x);
      T tanh_inner = ax_tanh(inner);
      T left = T(0.5) * x;
      T right = T(1) + tanh_inner;
      T left_derivative = T(0.5) * right;
      T right_derivative =
          left * (T(1) - tanh_inner * tanh_inner) * kBeta * (T(1) + T(3) * kKappa * x_sq);
      return grad * (left_derivative + right_derivative);
    }
    const T kAlpha = T(0.3989422804014327);  // 1 / sqrt(2 pi)
    T cdf = T(0.5) * (T(1) + ax_erf(x * T(0.7071067811865476)));
    T pdf = kAlpha * ax_exp(T(-0.5) * x * x);
    return grad * (cdf + x * pdf);
  }
};
struct SiluBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit SiluBackwardOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T x) const {
    T sigmoid = T(1) / (T(1) + ax_exp(-x));
    return grad * sigmoid * (T(1) + x * (T(1) - sigmoid));
  }
};
// d/dx log(sigmoid(x)) = sigmoid(-x) = 1 / (1 + exp(x)), which is 0 for large x, not NaN.
struct LogSigmoidBackwardOp {
  static constexpr unsigned types = kFloatingTypes;
  explicit LogSigmoidBackwardOp(const OpParams&) {}
  template <typename T>
  AXON_HOST_DEVICE T operator()(T grad, T x) const {
    return grad / (T(1) + ax_exp(x));
  }
};

#define AXON_BINARY_OPS(X)                  \
  X(Add, AddOp)                             \
  X(Sub, SubOp)                             \
  X(Mul, MulOp)                             \
  X(Div, DivOp)                             \
  X(Pow, PowOp)                             \
  X(Maximum, MaximumOp)                     \
  X(Minimum, MinimumOp)                     \
  X(Eq, EqOp)                               \
  X(Ne, NeOp)                               \
  X(Lt, LtOp)                               \
  X(Le, LeOp)                               \
  X(Gt, GtOp)                               \
  X(Ge, GeOp)                               \
  X(LogicalAnd, LogicalAndOp)               \
  X(LogicalOr, LogicalOrOp)                 \
  X(LogicalXor, LogicalXorOp)               \
  X(ReluBackward, ReluBackwardOp)           \
  X(SigmoidBackward, SigmoidBackwardOp)     \
  X(TanhBackward, TanhBackwardOp)           \
  X(LeakyReluBackward, LeakyReluBackwardOp) \
  X(EluBackward, EluBackwardOp)             \
  X(GeluBackward, GeluBackwardOp)           \
  X(SiluBackward, SiluBackwardOp)           \
  X(LogSigmoidBackward, LogSigmoidBackwardOp)

// ---- enums and type tables generated from the lists -----------------------------------------
#define AXON_ENUM_ENTRY(name, functor) name,
enum class UnaryOp : uint8_t { AXON_UNARY_OPS(AXON_ENUM_ENTRY) };
enum class BinaryOp : uint8_t { AXON_BINARY_OPS(AXON_ENUM_ENTRY) };
#undef AXON_ENUM_ENTRY

// The ops' names, for the profiler's labels (core/dispatch.h finds kernel_op_name by ADL).
#define AXON_NAME_ENTRY(name, functor) #name,
inline constexpr const char* kUnaryOpNames[] = {AXON_UNARY_OPS(AXON_NAME_ENTRY)};
inline constexpr const char* kBinaryOpNames[] = {AXON_BINARY_OPS(AXON_NAME_ENTRY)};
#undef AXON_NAME_ENTRY
inline const char* kernel_op_name(UnaryOp op) { return kUnaryOpNames[static_cast<int>(op)]; }
inline const char* kernel_op_name(BinaryOp op) { return kBinaryOpNames[static_cast<int>(op)]; }

#define AXON_TYPES_ENTRY(name, functor) functor::types,
inline constexpr unsigned kUnaryOpTypes[] = {AXON_UNARY_OPS(AXON_TYPES_ENTRY)};
inline constexpr unsigned kBinaryOpTypes[] = {AXON_BINARY_OPS(AXON_TYPES_ENTRY)};
#undef AXON_TYPES_ENTRY

// Whether the op's output is bool whatever its inputs (predicates and comparisons).
#define AXON_BOOL_RESULT_ENTRY(name, functor) \
  std::is_same_v<decltype(functor(OpParams{})(1.0f)), bool>,
inline constexpr bool kUnaryOpReturnsBool[] = {AXON_UNARY_OPS(AXON_BOOL_RESULT_ENTRY)};
#undef AXON_BOOL_RESULT_ENTRY
#define AXON_BOOL_RESULT_ENTRY(name, functor) \
  std::is_same_v<decltype(functor(OpParams{})(1.0f, 1.0f)), bool>,
inline constexpr bool kBinaryOpReturnsBool[] = {AXON_BINARY_OPS(AXON_BOOL_RESULT_ENTRY)};
#undef AXON_BOOL_RESULT_ENTRY

// ---- ternary: where(condition, a, b) --------------------------------------------------------
struct WhereOp {
  static constexpr unsigned types = kAllTypes;
  template <typename T>
  AXON_HOST_DEVICE T operator()(bool condition, T a, T b) const {
    return condition ? a : b;
  }
};

// ---- kernels --------------------------------------------------------------------------------
// Operand 0 is the output, operand 1 (and 2) the inputs, all in the compute dtype except the
// bool output of predicates and the bool condition of where.
using UnaryKernelFn = void(UnaryOp op, const OpParams& params, const ElementwiseIter& iter);
using BinaryKernelFn = void(BinaryOp op, const OpParams& params, const ElementwiseIter& iter);
using WhereKernelFn = void(const ElementwiseIter& iter);
// Copies operand 1 into operand 0, converting between any two dtypes.
using CopyKernelFn = void(const ElementwiseIter& iter);

AXON_DECLARE_KERNEL(unary_kernel, UnaryKernelFn);
AXON_DECLARE_KERNEL(binary_kernel, BinaryKernelFn);
AXON_DECLARE_KERNEL(where_kernel, WhereKernelFn);
AXON_DECLARE_KERNEL(copy_kernel, CopyKernelFn);

}  // namespace axon::kernels
