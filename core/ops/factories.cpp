// Creation functions: tensor, from_blob, empty/zeros/ones/full, arange, linspace, eye, *_like.
#include <cmath>
#include <cstring>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/tensor_utils.h"
#include "kernels/common/dtype_dispatch.h"
#include "kernels/common/math.h"

namespace axon {
namespace {

// Applies options.requires_grad() to a freshly made tensor.
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

Tensor make(IntArrayRef size, const TensorOptions& options, DType dtype) {
  return detail::empty_tensor(size, dtype, options.device());
}

// Writes `values` (as doubles or int64s) into a new CPU tensor of `dtype`, then moves it.
template <typename Source>
Tensor from_host_values(const std::vector<Source>& values, IntArrayRef shape, DType dtype,
                        Device device) {
  Tensor host = detail::empty_tensor(shape, dtype, Device(kCPU));
  kernels::visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = host.data_ptr<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = kernels::cast_to<T>(values[i]);
  });
  if (device.is_cpu()) return host;
  NoGradGuard no_grad;
  return host.to(TensorOptions(device));
}

void flatten_data(const TensorData& data, std::vector<Scalar>& out) {
  if (data.is_scalar()) {
    out.push_back(data.scalar());
    return;
  }
  for (const TensorData& child : data.list()) flatten_data(child, out);
}

int category(DType d) { return d == DType::Bool ? 0 : is_floating_point(d) ? 2 : 1; }

}  // namespace

// ---- TensorData -----------------------------------------------------------------------------

TensorData::TensorData(std::initializer_list<TensorData> list) : list_(list) { infer(); }

void TensorData::infer() {
  if (list_.empty()) {
    sizes_ = DimVector{0};
    dtype_ = get_default_dtype();
    return;
  }
  const TensorData& first = list_.front();
  DType dtype = first.is_scalar() ? first.scalar().dtype() : first.dtype();
  for (size_t i = 0; i < list_.size(); ++i) {
    const TensorData& child = list_[i];
    AXON_CHECK(child.is_scalar() == first.is_scalar() && child.sizes() == first.sizes(),
               "tensor: expected all sub-lists to have sizes {}, but sub-list {} has sizes {}",
               first.sizes(), i, child.sizes());
    DType d = child.is_scalar() ? child.scalar().dtype() : child.dtype();
    if (category(d) > category(dtype)) dtype = d;
  }
  dtype_ = dtype;
  sizes_ = DimVector{static_cast<int64_t>(list_.size())};
  for (int64_t s : first.sizes()) sizes_.push_back(s);
}

Tensor tensor(const TensorData& data, const TensorOptions& options) {
  std::vector<Scalar> values;
  flatten_data(data, values);
  DType dtype = options.has_dtype() ? options.dtype()
                : data.is_scalar()  ? data.scalar().dtype()
                                    : data.dtype();
  Tensor host = detail::empty_tensor(data.sizes(), dtype, Device(kCPU));
  kernels::visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = host.data_ptr<T>();
    for (size_t i = 0; i < values.size(); ++i) {
      const Scalar& v = values[i];
      p[i] =
          v.isFloatingPoint() ? kernels::cast_to<T>(v.toDouble()) : kernels::cast_to<T>(v.toLong());
    }
  });
  Tensor out = host;
  if (!options.device().is_cpu()) {
    NoGradGuard no_grad;
    out = host.to(TensorOptions(options.device()));
  }
  return finish(out, options);
}

namespace detail {
Tensor tensor_from_buffer(const void* data, DType dtype, int64_t count, IntArrayRef shape,
                          const TensorOptions& options) {
  AXON_CHECK(product(shape) == count,
             "tensor: {} values cannot fill a tensor of shape {} ({} elements)", count, shape,
             product(shape));
  Tensor host = empty_tensor(shape, dtype, Device(kCPU));
  if (count > 0)
    std::memcpy(host.data_ptr(), data, static_cast<size_t>(count) * element_size(dtype));
  NoGradGuard no_grad;
  Tensor out = host.to(options.device(), options.has_dtype() ? options.dtype() : dtype);
  return finish(out, options);
}
}  // namespace detail

// ---- from_blob ------------------------------------------------------------------------------

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options) {
  AXON_CHECK(sizes.size() == strides.size(), "from_blob: {} sizes but {} strides", sizes.size(),
             strides.size());
  DType dtype = options.dtype();
  int64_t extent = 1;  // elements spanned by the geometry
  for (size_t d = 0; d < sizes.size(); ++d) {
    AXON_CHECK(sizes[d] >= 0 && strides[d] >= 0,
               "from_blob: sizes {} and strides {} must be non-negative", sizes, strides);
    if (sizes[d] == 0) extent = 0;
  }
  if (extent != 0) {
    for (size_t d = 0; d < sizes.size(); ++d) extent += (sizes[d] - 1) * strides[d];
  }
  AXON_CHECK(data != nullptr || extent == 0, "from_blob: data is null");
  Storage storage = make_storage_from_blob(data, static_cast<size_t>(extent) * element_size(dtype),
                                           options.device(), nullptr);
  return finish(Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes, strides, 0)),
                options);
}

Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options) {
  return from_blob(data, sizes, detail::contiguous_strides(sizes), options);
}

Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter,
                 const TensorOptions& options) {
  DType dtype = options.dtype();
  AXON_CHECK(data != nullptr || product(sizes) == 0, "from_blob: data is null");
  Storage storage = make_storage_from_blob(
      data, static_cast<size_t>(product(sizes)) * element_size(dtype), options.device(), deleter);
  return finish(Tensor(std::make_shared<TensorImpl>(std::move(storage), dtype, sizes)), options);
}

// ---- filled tensors -------------------------------------------------------------------------

Tensor empty(IntArrayRef size, const TensorOptions& options) {
  return finish(make(size, options, options.dtype()), options);
}

Tensor zeros(IntArrayRef size, const TensorOptions& options) {
  Tensor t = make(size, options, options.dtype());
  t.zero_();
  return finish(t, options);
}

Tensor ones(IntArrayRef size, const TensorOptions& options) {
  Tensor t = make(size, options, options.dtype());
  t.fill_(1);
  return finish(t, options);
}

Tensor full(IntArrayRef size, const Scalar& fill_value, const TensorOptions& options) {
  Tensor t = make(size, options, options.dtype_or(fill_value.dtype()));
  t.fill_(fill_value);
  return finish(t, options);
}

Tensor empty_like(const Tensor& other, const TensorOptions& options) {
  detail::check_defined(other, "empty_like");
  return empty(other.sizes(), TensorOptions()
                                  .dtype(options.dtype_or(other.dtype()))
                                  .device(options.has_device() ? options.device() : other.device())
                                  .requires_grad(options.requires_grad()));
}

namespace {
TensorOptions like(const Tensor& other, const TensorOptions& options) {
  return TensorOptions()
      .dtype(options.dtype_or(other.dtype()))
      .device(options.has_device() ? options.device() : other.device())
      .requires_grad(options.requires_grad());
}
}  // namespace

Tensor zeros_like(const Tensor& other, const TensorOptions& options) {
  detail::check_defined(other, "zeros_like");
  return zeros(other.sizes(), like(other, options));
}
Tensor ones_like(const Tensor& other, const TensorOptions& options) {
  detail::check_defined(other, "ones_like");
  return ones(other.sizes(), like(other, options));
}
Tensor full_like(const Tensor& other, const Scalar& fill_value, const TensorOptions& options) {
  detail::check_defined(other, "full_like");
  return full(other.sizes(), fill_value, like(other, options));
}
Tensor rand_like(const Tensor& other, const TensorOptions& options) {
  detail::check_defined(other, "rand_like");
  return rand(other.sizes(), like(other, options));
}
Tensor randn_like(const Tensor& other, const TensorOptions& options) {
  detail::check_defined(other, "randn_like");
  return randn(other.sizes(), like(other, options));
}
Tensor randint_like(const Tensor& other, int64_t high, const TensorOptions& options) {
  return randint_like(other, 0, high, options);
}
Tensor randint_like(const Tensor& other, int64_t low, int64_t high, const TensorOptions& options) {
  detail::check_defined(other, "randint_like");
  return randint(low, high, other.sizes(), like(other, options));
}

// ---- ranges ---------------------------------------------------------------------------------

Tensor arange(const Scalar& end, const TensorOptions& options) {
  return arange(0, end, 1, options);
}
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options) {
  return arange(start, end, 1, options);
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step,
              const TensorOptions& options) {
  bool integral = !start.isFloatingPoint() && !end.isFloatingPoint() && !step.isFloatingPoint();
  DType dtype = options.dtype_or(integral ? DType::Int64 : get_default_dtype());
  double s = start.toDouble(), e = end.toDouble(), d = step.toDouble();
  AXON_CHECK(d != 0, "arange: step must be nonzero");
  AXON_CHECK(std::isfinite(s) && std::isfinite(e), "arange: unsupported range: {} -> {}", start,
             end);
  AXON_CHECK((d > 0 && e >= s) || (d < 0 && e <= s),
             "arange: upper bound and larger bound inconsistent with step sign (start {}, end {}, "
             "step {})",
             start, end, step);
  double size_d = integral ? std::ceil(static_cast<double>(end.toLong() - start.toLong()) /
                                       static_cast<double>(step.toLong()))
                           : std::ceil((e - s) / d);
  AXON_CHECK(size_d >= 0 && size_d < 9.2e18, "arange: invalid size {}", size_d);
  int64_t n = static_cast<int64_t>(size_d);
  if (integral && !is_floating_point(dtype)) {
    std::vector<int64_t> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[i] = start.toLong() + i * step.toLong();
    return finish(from_host_values(values, {n}, dtype, options.device()), options);
  }
  // As PyTorch's CPU kernel: start + step * i in double, then rounded to the dtype.
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = s + d * static_cast<double>(i);
  return finish(from_host_values(values, {n}, dtype, options.device()), options);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps,
                const TensorOptions& options) {
  AXON_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got {}", steps);
  DType dtype = options.dtype();
  Tensor host = detail::empty_tensor({steps}, dtype, Device(kCPU));
  kernels::visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // The step is computed in T for floats and in double for integers, and the second half
    // counts back from `end`, exactly as PyTorch's CPU kernel.
    using Step = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    T* p = host.data_ptr<T>();
    if (steps == 1) {
      p[0] = kernels::cast_to<T>(start.toDouble());
      return;
    }
    const T a = kernels::cast_to<T>(start.toDouble());
    const T b = kernels::cast_to<T>(end.toDouble());
    const Step step = (static_cast<Step>(b) - static_cast<Step>(a)) / static_cast<Step>(steps - 1);
    const int64_t halfway = steps / 2;
    for (int64_t i = 0; i < steps; ++i) {
      p[i] = i < halfway ? static_cast<T>(a + step * static_cast<Step>(i))
                         : static_cast<T>(b - step * static_cast<Step>(steps - i - 1));
    }
  });
  Tensor out = host;
  if (!options.device().is_cpu()) {
    NoGradGuard no_grad;
    out = host.to(TensorOptions(options.device()));
  }
  return finish(out, options);
}

Tensor eye(int64_t n, const TensorOptions& options) { return eye(n, n, options); }

Tensor eye(int64_t n, int64_t m, const TensorOptions& options) {
  AXON_CHECK(n >= 0 && m >= 0, "eye: n ({}) and m ({}) must be non-negative", n, m);
  Tensor t = make({n, m}, options, options.dtype());
  t.zero_();
  if (n > 0 && m > 0) {
    NoGradGuard no_grad;
    detail::make_view(t, {std::min(n, m)}, {m + 1}, 0).fill_(1);
  }
  return finish(t, options);
}

}  // namespace axon
