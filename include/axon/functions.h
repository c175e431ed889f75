#pragma once
// The free functions of axon: factories and ops, named as in LibTorch (torch::x -> axon::x).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "axon/tensor.h"

namespace axon {

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

// Nested braced lists of numbers, as LibTorch's TensorDataContainer: tensor({{1, 2}, {3, 4}}).
// Integers give int64, any floating-point value gives the default float dtype, bools give bool.
class TensorData {
 public:
  // NOLINTBEGIN(google-explicit-constructor)
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  TensorData(T value) : scalar_(Scalar(value)), is_scalar_(true) {}
  TensorData(std::initializer_list<TensorData> list);
  // A vector keeps its element type, as in LibTorch: std::vector<double> gives float64.
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  TensorData(const std::vector<T>& values) {
    for (const T& v : values) list_.emplace_back(v);
    infer();
    vector_dtype_ = std::is_same_v<T, bool>            ? DType::Bool
                    : std::is_same_v<T, float>         ? DType::Float32
                    : std::is_floating_point_v<T>      ? DType::Float64
                    : std::is_same_v<T, unsigned char> ? DType::UInt8
                                                       : DType::Int64;
    dtype_ = *vector_dtype_;
  }
  // NOLINTEND(google-explicit-constructor)

  bool is_scalar() const { return is_scalar_; }
  const Scalar& scalar() const { return scalar_; }
  const std::vector<TensorData>& list() const { return list_; }
  IntArrayRef sizes() const { return sizes_; }
  DType dtype() const { return dtype_; }

 private:
  void infer();
  Scalar scalar_;
  bool is_scalar_ = false;
  std::vector<TensorData> list_;
  DimVector sizes_;
  DType dtype_ = DType::Int64;
  std::optional<DType> vector_dtype_;
};

Tensor tensor(const TensorData& data, const TensorOptions& options = {});
// A tensor of the given shape filled from `values` (row-major); sizes must match.
template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
Tensor tensor(const std::vector<T>& values, IntArrayRef shape, TensorOptions options = {});

// A tensor over memory the caller owns (no copy). `deleter`, if given, runs when the last
// tensor using the memory is released.
Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides,
                 const TensorOptions& options = {});
Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter,
                 const TensorOptions& options = {});

Tensor empty(IntArrayRef size, const TensorOptions& options = {});
Tensor zeros(IntArrayRef size, const TensorOptions& options = {});
Tensor ones(IntArrayRef size, const TensorOptions& options = {});
// The dtype follows the value (int64 for integers) unless options give one, as in PyTorch.
Tensor full(IntArrayRef size, const Scalar& fill_value, const TensorOptions& options = {});
Tensor arange(const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step,
              const TensorOptions& options = {});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps,
                const TensorOptions& options = {});
Tensor eye(int64_t n, const TensorOptions& options = {});
Tensor eye(int64_t n, int64_t m, const TensorOptions& options = {});
Tensor rand(IntArrayRef size, const TensorOptions& options = {});
Tensor randn(IntArrayRef size, const TensorOptions& options = {});
Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options = {});
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options = {});
Tensor randperm(int64_t n, const TensorOptions& options = {});
// The default generator's whole state as a 1-D uint8 tensor, and back (torch.get_rng_state):
// set_rng_state(get_rng_state()) makes the following draws repeat.
Tensor get_rng_state();
void set_rng_state(const Tensor& state);

// The *_like forms take sizes, dtype and device from `other` unless options override them.
Tensor empty_like(const Tensor& other, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& other, const TensorOptions& options = {});
Tensor ones_like(const Tensor& other, const TensorOptions& options = {});
Tensor full_like(const Tensor& other, const Scalar& fill_value, const TensorOptions& options = {});
Tensor rand_like(const Tensor& other, const TensorOptions& options = {});
Tensor randn_like(const Tensor& other, const TensorOptions& options = {});
Tensor randint_like(const Tensor& other, int64_t high, const TensorOptions& options = {});
Tensor randint_like(const Tensor& other, int64_t low, int64_t high,
                    const TensorOptions& options = {});

// In-place random fills (used by initialisers); they draw from the default generator.
const Tensor& uniform_(const Tensor& self, double from = 0, double to = 1);
const Tensor& normal_(const Tensor& self, double mean = 0, double std = 1);

// ---------------------------------------------------------------------------------------------
// Views, joins and splits
// ---------------------------------------------------------------------------------------------
Tensor view(const Tensor& self, IntArrayRef size);
Tensor reshape(const Tensor& self, IntArrayRef shape);
Tensor flatten(const Tensor& self, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& self);
Tensor squeeze(const Tensor& self, int64_t dim);
Tensor unsqueeze(const Tensor& self, int64_t dim);
Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& self);
Tensor permute(const Tensor& self, IntArrayRef dims);
Tensor select(const Tensor& self, int64_t dim, int64_t index);
// The entries of `self` at the int64 positions `index` (0-d or 1-d) along `dim`, copied into a new
// tensor: index_select(x, 0, idx) holds rows x[idx[0]], x[idx[1]], ... Indices must lie in
// [0, size(dim)); an index on a GPU is checked there and an error reported at the next
// synchronisation. Unlike PyTorch's, a CPU index may select from a GPU tensor (checked at once).
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor slice(const Tensor& self, int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
             std::optional<int64_t> end = std::nullopt, int64_t step = 1);
Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length);
Tensor expand(const Tensor& self, IntArrayRef size);
Tensor broadcast_to(const Tensor& self, IntArrayRef size);
std::vector<Tensor> broadcast_tensors(TensorList tensors);
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b);

Tensor cat(TensorList tensors, int64_t dim = 0);
Tensor stack(TensorList tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& self, IntArrayRef split_sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& self, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> unbind(const Tensor& self, int64_t dim = 0);

Tensor contiguous(const Tensor& self);
Tensor clone(const Tensor& self);

// ---------------------------------------------------------------------------------------------
// Elementwise (broadcasting; PyTorch's type promotion)
// ---------------------------------------------------------------------------------------------
Tensor add(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor add(const Tensor& self, const Scalar& other, const Scalar& alpha = 1);
Tensor sub(const Tensor& self, const Tensor& other, const Scalar& alpha = 1);
Tensor sub(const Tensor& self, const Scalar& other, const Scalar& alpha = 1);
Tensor rsub(const Tensor& self, const Scalar& other, const Scalar& alpha = 1);
Tensor mul(const Tensor& self, const Tensor& other);
Tensor mul(const Tensor& self, const Scalar& other);
Tensor div(const Tensor& self, const Tensor& other);
Tensor div(const Tensor& self, const Scalar& other);
Tensor pow(const Tensor& self, const Tensor& exponent);
Tensor pow(const Tensor& self, const Scalar& exponent);
Tensor pow(const Scalar& self, const Tensor& exponent);
Tensor maximum(const Tensor& self, const Tensor& other);
Tensor minimum(const Tensor& self, const Tensor& other);

Tensor neg(const Tensor& self);
Tensor exp(const Tensor& self);
Tensor log(const Tensor& self);
Tensor sqrt(const Tensor& self);
Tensor rsqrt(const Tensor& self);
Tensor abs(const Tensor& self);
Tensor sign(const Tensor& self);
Tensor sin(const Tensor& self);
Tensor cos(const Tensor& self);
Tensor tanh(const Tensor& self);
Tensor sigmoid(const Tensor& self);
Tensor relu(const Tensor& self);
Tensor square(const Tensor& self);
Tensor log1p(const Tensor& self);
// Activations (numerics as PyTorch's CPU kernels).
Tensor leaky_relu(const Tensor& self, const Scalar& negative_slope = 0.01);
const Tensor& leaky_relu_(const Tensor& self, const Scalar& negative_slope = 0.01);
Tensor elu(const Tensor& self, const Scalar& alpha = 1);
const Tensor& elu_(const Tensor& self, const Scalar& alpha = 1);
// approximate: "none" (the erf form) or "tanh".
Tensor gelu(const Tensor& self, std::string_view approximate = "none");
Tensor silu(const Tensor& self);
Tensor log_sigmoid(const Tensor& self);
Tensor logical_not(const Tensor& self);
Tensor isnan(const Tensor& self);
Tensor isinf(const Tensor& self);
Tensor isfinite(const Tensor& self);

Tensor clamp(const Tensor& self, const std::optional<Scalar>& min = std::nullopt,
             const std::optional<Scalar>& max = std::nullopt);
Tensor clamp_min(const Tensor& self, const Scalar& min);
Tensor clamp_max(const Tensor& self, const Scalar& max);
Tensor where(const Tensor& condition, const Tensor& self, const Tensor& other);
Tensor where(const Tensor& condition, const Scalar& self, const Tensor& other);
Tensor where(const Tensor& condition, const Tensor& self, const Scalar& other);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);

Tensor eq(const Tensor& self, const Tensor& other);
Tensor eq(const Tensor& self, const Scalar& other);
Tensor ne(const Tensor& self, const Tensor& other);
Tensor ne(const Tensor& self, const Scalar& other);
Tensor lt(const Tensor& self, const Tensor& other);
Tensor lt(const Tensor& self, const Scalar& other);
Tensor le(const Tensor& self, const Tensor& other);
Tensor le(const Tensor& self, const Scalar& other);
Tensor gt(const Tensor& self, const Tensor& other);
Tensor gt(const Tensor& self, const Scalar& other);
Tensor ge(const Tensor& self, const Tensor& other);
Tensor ge(const Tensor& self, const Scalar& other);
Tensor logical_and(const Tensor& self, const Tensor& other);
Tensor logical_or(const Tensor& self, const Tensor& other);
Tensor logical_xor(const Tensor& self, const Tensor& other);
// True when both have the same sizes and elements (dtypes must match, as in PyTorch).
bool equal(const Tensor& self, const Tensor& other);
Tensor isclose(const Tensor& self, const Tensor& other, double rtol = 1e-05, double atol = 1e-08,
               bool equal_nan = false);
bool allclose(const Tensor& self, const Tensor& other, double rtol = 1e-05, double atol = 1e-08,
              bool equal_nan = false);

// The dtype an op on these operands computes in (PyTorch's result_type).
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);

// ---------------------------------------------------------------------------------------------
// Reductions. `dim` lists may be empty to mean all dims; negative dims count from the end.
// ---------------------------------------------------------------------------------------------
Tensor sum(const Tensor& self, std::optional<DType> dtype = std::nullopt);
Tensor sum(const Tensor& self, IntArrayRef dim, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& self, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& self, IntArrayRef dim, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& self, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& self, int64_t dim, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);
Tensor max(const Tensor& self);
std::tuple<Tensor, Tensor> max(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& self);
std::tuple<Tensor, Tensor> min(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& self, IntArrayRef dim = {}, bool keepdim = false);
Tensor amin(const Tensor& self, IntArrayRef dim = {}, bool keepdim = false);
Tensor argmax(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& self, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor var(const Tensor& self, bool unbiased = true);
Tensor var(const Tensor& self, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& self, bool unbiased = true);
Tensor std(const Tensor& self, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor logsumexp(const Tensor& self, IntArrayRef dim, bool keepdim = false);
Tensor any(const Tensor& self);
Tensor all(const Tensor& self);
Tensor softmax(const Tensor& self, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& self, int64_t dim, std::optional<DType> dtype = std::nullopt);

// ---------------------------------------------------------------------------------------------
// Linear algebra
// ---------------------------------------------------------------------------------------------
Tensor matmul(const Tensor& self, const Tensor& other);
// input @ weight^T + bias (bias may be undefined), as torch.nn.functional.linear.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
Tensor mm(const Tensor& self, const Tensor& mat2);
Tensor bmm(const Tensor& self, const Tensor& mat2);

// ---------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------
// ---- normalisation, dropout and losses (the functional forms nn's layers call) ----------

// Batch normalisation over dim 1 of an (N, C, ...) input. In training (or without running
// statistics) it normalises with the batch's statistics and, when running_mean/running_var are
// given, updates them in place: running = momentum * batch + (1 - momentum) * running.
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps, bool cudnn_enabled = true);
// The output with the batch mean and 1/sqrt(var + eps) used (running ones when not training).
std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight,
                                                     const Tensor& bias, const Tensor& running_mean,
                                                     const Tensor& running_var, bool training,
                                                     double momentum, double eps);

// Zeroes each element with probability p and scales the rest by 1 / (1 - p) when train.
Tensor dropout(const Tensor& input, double p, bool train);
// The same, one draw per channel (dim 1) of an (N, C, ...) input: Dropout2d.
Tensor feature_dropout(const Tensor& input, double p, bool train);
// Elements 1 with probability p (draws as PyTorch's CPU bernoulli_).
const Tensor& bernoulli_(const Tensor& self, double p);

// How a loss reduces over elements, as at::Reduction.
namespace Reduction {
enum Reduction { None, Mean, Sum };
}  // namespace Reduction
inline constexpr Reduction::Reduction kNone = Reduction::None;
inline constexpr Reduction::Reduction kMean = Reduction::Mean;
inline constexpr Reduction::Reduction kSum = Reduction::Sum;

// input: log-probabilities (C), (N, C) or (N, C, d1, ...); target: int64 class indices.
Tensor nll_loss(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                Reduction::Reduction reduction = Reduction::Mean, int64_t ignore_index = -100);
// log_softmax + nll_loss; target class indices (int64) or class probabilities (float).
Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                          Reduction::Reduction reduction = Reduction::Mean,
                          int64_t ignore_index = -100, double label_smoothing = 0.0);
Tensor mse_loss(const Tensor& self, const Tensor& target,
                Reduction::Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& self, const Tensor& target,
               Reduction::Reduction reduction = Reduction::Mean);
Tensor smooth_l1_loss(const Tensor& self, const Tensor& target,
                      Reduction::Reduction reduction = Reduction::Mean, double beta = 1.0);
Tensor huber_loss(const Tensor& self, const Tensor& target,
                  Reduction::Reduction reduction = Reduction::Mean, double delta = 1.0);
Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const Tensor& weight = {},
                            Reduction::Reduction reduction = Reduction::Mean);
Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target,
                                        const Tensor& weight = {}, const Tensor& pos_weight = {},
                                        Reduction::Reduction reduction = Reduction::Mean);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
inline Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
inline Tensor operator-(const Scalar& a, const Tensor& b) { return rsub(b, a); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
inline Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator/(const Scalar& a, const Tensor& b);
inline Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
inline Tensor operator==(const Tensor& a, const Scalar& b) { return eq(a, b); }
inline Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
inline Tensor operator!=(const Tensor& a, const Scalar& b) { return ne(a, b); }
inline Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
inline Tensor operator<(const Tensor& a, const Scalar& b) { return lt(a, b); }
inline Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
inline Tensor operator<=(const Tensor& a, const Scalar& b) { return le(a, b); }
inline Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
inline Tensor operator>(const Tensor& a, const Scalar& b) { return gt(a, b); }
inline Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
inline Tensor operator>=(const Tensor& a, const Scalar& b) { return ge(a, b); }
inline Tensor operator&&(const Tensor& a, const Tensor& b) { return logical_and(a, b); }
inline Tensor operator||(const Tensor& a, const Tensor& b) { return logical_or(a, b); }
inline Tensor operator!(const Tensor& a) { return logical_not(a); }

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------
// Threads used by CPU kernels (OpenMP and BLAS); defaults to the machine's cores.
void set_num_threads(int n);
int get_num_threads();

// ---------------------------------------------------------------------------------------------
// Convolution and pooling (NCHW, or unbatched CHW); float32 and float64
// ---------------------------------------------------------------------------------------------
// stride, padding and dilation take one value for both dims or {h, w}; an undefined bias means
// none. The weight is [out_channels, in_channels / groups, kH, kW].
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef dilation = 1,
              int64_t groups = 1);
// An empty stride means stride = kernel_size. With ceil_mode the last window may overhang the
// input, but must start inside it or in the left padding (PyTorch's rule).
Tensor max_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride = {},
                  IntArrayRef padding = 0, IntArrayRef dilation = 1, bool ceil_mode = false);
// Also the int64 index of each maximum, flat over H * W within its plane.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& self, IntArrayRef kernel_size,
                                                   IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                   IntArrayRef dilation = 1,
                                                   bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride = {},
                  IntArrayRef padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
// Window i of n over a length L covers [floor(i * L / n), ceil((i + 1) * L / n)).
Tensor adaptive_avg_pool2d(const Tensor& self, IntArrayRef output_size);

}  // namespace axon

// ---- template definitions ----
namespace axon {
namespace detail {
Tensor tensor_from_buffer(const void* data, DType dtype, int64_t count, IntArrayRef shape,
                          const TensorOptions& options);
}
template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int>>
Tensor tensor(const std::vector<T>& values, IntArrayRef shape, TensorOptions options) {
  using Stored = std::conditional_t<
      std::is_same_v<T, bool>, bool,
      std::conditional_t<std::is_floating_point_v<T>,
                         std::conditional_t<std::is_same_v<T, float>, float, double>,
                         std::conditional_t<std::is_same_v<T, uint8_t>, uint8_t, int64_t>>>;
  std::vector<Stored> converted(values.begin(), values.end());
  DType dtype = dtype_of<Stored>;
  if constexpr (std::is_same_v<T, bool>) {
    // std::vector<bool> is packed; copy through a byte buffer.
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return detail::tensor_from_buffer(bytes.data(), DType::Bool, static_cast<int64_t>(bytes.size()),
                                      shape, options);
  } else {
    return detail::tensor_from_buffer(converted.data(), dtype,
                                      static_cast<int64_t>(converted.size()), shape, options);
  }
}
}  // namespace axon
