// CPU random fills with PyTorch's transformations of mt19937 output, so that a seed gives the
// same numbers as torch on the CPU (see axon/random.h).
#include "kernels/common/random.h"

#include <cmath>
#include <numbers>

#include "kernels/common/dtype_dispatch.h"

namespace axon::cpu {
namespace {

// uniform_real_distribution<T>: 24 random bits for float, 53 for double. PyTorch's compiled
// kernel fuses x * (to - from) + from into one multiply-add; so does this, explicitly.
template <typename T>
T uniform_real(Generator& gen, T from, T to) {
  if constexpr (std::is_same_v<T, double>) {
    constexpr uint64_t mask = (uint64_t{1} << 53) - 1;
    double x =
        static_cast<double>(gen.random64() & mask) * (1.0 / static_cast<double>(uint64_t{1} << 53));
    return std::fma(x, to - from, from);
  } else {
    constexpr uint32_t mask = (uint32_t{1} << 24) - 1;
    float x = static_cast<float>(gen.random() & mask) * (1.0f / static_cast<float>(1u << 24));
    return std::fma(x, to - from, from);
  }
}

void uniform_cpu(const Tensor& out, double from, double to, Generator& gen) {
  kernels::visit_floating_dtype(out.dtype(), "uniform_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data_ptr<T>();
    const T lo = static_cast<T>(from), hi = static_cast<T>(to);
    for (int64_t i = 0; i < out.numel(); ++i) p[i] = uniform_real<T>(gen, lo, hi);
  });
}

// Box-Muller on 16 uniforms at a time: the first 8 give the radii, the last 8 the angles
// (PyTorch's normal_fill_16). For float32 PyTorch runs its AVX2 version on x86-64, which forms
// the angle in float and scales with a multiply-add; doing the same keeps axon within a few
// units in the last place (its vectorised log/sin/cos are not bit-identical to libm's).
template <typename T>
void normal_fill_16(T* data, T mean, T std) {
  for (int j = 0; j < 8; ++j) {
    const T u1 = 1 - data[j];  // [0, 1) -> (0, 1] for log
    const T u2 = data[j + 8];
    const T radius = std::sqrt(-2 * std::log(u1));
    if constexpr (std::is_same_v<T, float>) {
      const float theta = static_cast<float>(2.0 * std::numbers::pi) * u2;
      data[j] = std::fma(radius * std::cos(theta), std, mean);
      data[j + 8] = std::fma(radius * std::sin(theta), std, mean);
    } else {
      const T theta = 2.0 * std::numbers::pi * u2;
      data[j] = radius * std::cos(theta) * std + mean;
      data[j + 8] = radius * std::sin(theta) * std + mean;
    }
  }
}

// One normal from the generator, caching the pair's second value (normal_distribution<double>).
double normal_double(Generator& gen, double mean, double std) {
  double cached = 0;
  if (gen.take_cached_normal(cached)) return cached * std + mean;
  const double u1 = uniform_real<double>(gen, 0.0, 1.0);
  const double u2 = uniform_real<double>(gen, 0.0, 1.0);
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  const double theta = 2.0 * std::numbers::pi * u1;
  gen.cache_normal(r * std::sin(theta));
  return r * std::cos(theta) * std + mean;
}

void normal_cpu(const Tensor& out, double mean, double std, Generator& gen) {
  kernels::visit_floating_dtype(out.dtype(), "normal_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data_ptr<T>();
    const int64_t n = out.numel();
    if (n < 16) {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(normal_double(gen, mean, std));
      return;
    }
    const T m = static_cast<T>(mean), s = static_cast<T>(std);
    for (int64_t i = 0; i < n; ++i) p[i] = uniform_real<T>(gen, T(0), T(1));
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16(p + i, m, s);
    if (n % 16 != 0) {
      // The tail: redraw the last 16 values and transform them together.
      T* tail = p + n - 16;
      for (int i = 0; i < 16; ++i) tail[i] = uniform_real<T>(gen, T(0), T(1));
      normal_fill_16(tail, m, s);
    }
  });
}

void random_range_cpu(const Tensor& out, int64_t low, int64_t high, Generator& gen) {
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  kernels::visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data_ptr<T>();
    // 64 random bits only for wide ranges of 64-bit types, as PyTorch does.
    constexpr bool wide_type = std::is_same_v<T, int64_t> || std::is_floating_point_v<T>;
    for (int64_t i = 0; i < out.numel(); ++i) {
      uint64_t bits = (wide_type && range >= (uint64_t{1} << 32)) ? gen.random64() : gen.random();
      p[i] = static_cast<T>(static_cast<int64_t>(bits % range) + low);
    }
  });
}

void randperm_cpu(const Tensor& out, Generator& gen) {
  int64_t* p = out.data_ptr<int64_t>();
  const int64_t n = out.numel();
  if (n < static_cast<int64_t>(UINT32_MAX / 20)) {
    for (int64_t i = 0; i < n; ++i) p[i] = i;
    for (int64_t i = 0; i < n - 1; ++i) {
      int64_t z = static_cast<int64_t>(gen.random() % static_cast<uint64_t>(n - i));
      std::swap(p[i], p[z + i]);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {  // inside-out Fisher-Yates with 64-bit draws
    int64_t z = static_cast<int64_t>(gen.random64() % static_cast<uint64_t>(i + 1));
    p[i] = p[z];
    p[z] = i;
  }
}

void bernoulli_cpu(const Tensor& out, double p, Generator& gen) {
  kernels::visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = out.data_ptr<T>();
    for (int64_t i = 0; i < out.numel(); ++i) {
      data[i] = static_cast<T>(uniform_real<double>(gen, 0.0, 1.0) < p);
    }
  });
}

}  // namespace

AXON_REGISTER_KERNEL(kernels::uniform_kernel, CPU, &uniform_cpu);
AXON_REGISTER_KERNEL(kernels::bernoulli_kernel, CPU, &bernoulli_cpu);
AXON_REGISTER_KERNEL(kernels::normal_kernel, CPU, &normal_cpu);
AXON_REGISTER_KERNEL(kernels::random_range_kernel, CPU, &random_range_cpu);
AXON_REGISTER_KERNEL(kernels::randperm_kernel, CPU, &randperm_cpu);

}  // namespace axon::cpu
