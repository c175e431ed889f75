// Random ops: rand, randn, randint, randperm, uniform_, normal_, and the default generator.
#include "kernels/common/random.h"

#include <bit>
#include <cmath>
#include <sstream>

#include "axon/autograd/grad_mode.h"
#include "axon/functions.h"
#include "core/autograd/record.h"
#include "core/ops/elementwise_ops.h"
#include "core/tensor_utils.h"

namespace axon {
namespace {
constexpr const char* kStateTag = "axon.mt19937.v1";
}  // namespace

AXON_DEFINE_KERNEL(kernels::uniform_kernel);
AXON_DEFINE_KERNEL(kernels::bernoulli_kernel);
AXON_DEFINE_KERNEL(kernels::normal_kernel);
AXON_DEFINE_KERNEL(kernels::random_range_kernel);
AXON_DEFINE_KERNEL(kernels::randperm_kernel);

void Generator::set_current_seed(uint64_t seed) {
  seed_ = seed;
  // PyTorch seeds mt19937 with the low 32 bits.
  engine_.seed(static_cast<uint32_t>(seed));
  has_cached_normal_ = false;
}

bool Generator::take_cached_normal(double& value) {
  if (!has_cached_normal_) return false;
  has_cached_normal_ = false;
  value = cached_normal_;
  return true;
}

void Generator::cache_normal(double value) {
  cached_normal_ = value;
  has_cached_normal_ = true;
}

// Text: a tag, the seed, the cached normal (as its bit pattern), then mt19937's own stream form.
std::string Generator::state() const {
  std::ostringstream out;
  out << kStateTag << ' ' << seed_ << ' ' << has_cached_normal_ << ' '
      << std::bit_cast<uint64_t>(cached_normal_) << ' ' << engine_;
  return out.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream in(state);
  std::string tag;
  uint64_t seed = 0, cached_bits = 0;
  bool has_cached = false;
  std::mt19937 engine;
  in >> tag >> seed >> has_cached >> cached_bits >> engine;
  AXON_CHECK(tag == kStateTag && !in.fail() && (in >> std::ws).eof(),
             "Generator::set_state: not a generator state ({} bytes; expected what state() "
             "returns, starting with \"{}\")",
             state.size(), kStateTag);
  seed_ = seed;
  has_cached_normal_ = has_cached;
  cached_normal_ = std::bit_cast<double>(cached_bits);
  engine_ = engine;
}

Tensor get_rng_state() {
  Generator& gen = default_generator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  std::string state = gen.state();
  return tensor(std::vector<uint8_t>(state.begin(), state.end()));
}

void set_rng_state(const Tensor& state) {
  detail::check_defined(state, "set_rng_state", "state");
  AXON_CHECK(state.dtype() == kUInt8 && state.dim() == 1,
             "set_rng_state: expected a 1-D uint8 tensor from get_rng_state(), got {} of shape {}",
             state.dtype(), state.sizes());
  Tensor bytes = state.cpu().contiguous();
  const auto* p = bytes.data_ptr<uint8_t>();
  Generator& gen = default_generator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(std::string(p, p + bytes.numel()));
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) {
  Generator& gen = default_generator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(seed);
}

namespace {

// Runs `fill` on a contiguous tensor; a non-contiguous one is filled through a temporary.
template <typename Fill>
const Tensor& fill_random(const Tensor& self, const char* name, const Fill& fill) {
  detail::check_inplace(self, name);
  if (autograd::should_record({&self})) detail::check_inplace_autograd(self, name);
  Generator& gen = default_generator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  if (self.numel() > 0) {
    if (self.is_contiguous()) {
      fill(self, gen);
    } else {
      Tensor tmp = detail::empty_tensor(self.sizes(), self.dtype(), self.device());
      fill(tmp, gen);
      NoGradGuard no_grad;
      detail::copy_raw(self, tmp);
    }
  }
  self.storage()->bump_version();
  return self;
}

void check_floating(const Tensor& self, const char* name) {
  AXON_CHECK(self.is_floating_point(), "{}: expected a floating-point tensor, got {}", name,
             self.dtype());
}

}  // namespace

const Tensor& uniform_(const Tensor& self, double from, double to) {
  detail::check_defined(self, "uniform_");
  check_floating(self, "uniform_");
  // The kernel draws in the tensor's dtype: bounds or a width it cannot hold would fill the
  // tensor with inf or nan (PyTorch refuses them too).
  const double width = to - from;
  const bool finite = self.dtype() == kFloat32 ? std::isfinite(static_cast<float>(from)) &&
                                                     std::isfinite(static_cast<float>(to)) &&
                                                     std::isfinite(static_cast<float>(width))
                                               : std::isfinite(width);
  AXON_CHECK(finite, "uniform_: from={} and to={} (and to - from) must be finite in {}", from, to,
             self.dtype());
  AXON_CHECK(from <= to,
             "uniform_: expects to return a [from, to) range, but found from={} > "
             "to={}",
             from, to);
  return fill_random(self, "uniform_", [&](const Tensor& t, Generator& gen) {
    kernels::uniform_kernel(t.device())(t, from, to, gen);
  });
}

const Tensor& normal_(const Tensor& self, double mean, double std) {
  detail::check_defined(self, "normal_");
  check_floating(self, "normal_");
  AXON_CHECK(std >= 0, "normal_: expects std >= 0.0, but found std {}", std);
  return fill_random(self, "normal_", [&](const Tensor& t, Generator& gen) {
    kernels::normal_kernel(t.device())(t, mean, std, gen);
  });
}

const Tensor& bernoulli_(const Tensor& self, double p) {
  detail::check_defined(self, "bernoulli_");
  AXON_CHECK(p >= 0 && p <= 1, "bernoulli_: expected 0 <= p <= 1, but got p={}", p);
  return fill_random(self, "bernoulli_", [&](const Tensor& t, Generator& gen) {
    kernels::bernoulli_kernel(t.device())(t, p, gen);
  });
}

namespace {
// PyTorch's _dropout_impl: noise = bernoulli(1 - p) / (1 - p), shaped like the input or, for
// feature dropout, one value per (sample, channel).
Tensor dropout_impl(const Tensor& input, double p, bool train, bool feature, const char* name) {
  detail::check_defined(input, name);
  AXON_CHECK(p >= 0 && p <= 1, "{}: dropout probability has to be between 0 and 1, but got {}",
             name, p);
  if (p == 0 || !train || input.numel() == 0) return input;
  AXON_CHECK(input.is_floating_point(), "{}: expected a floating-point input, got {}", name,
             input.dtype());
  if (p == 1) return input * zeros({}, input.options());
  DimVector noise_shape(input.sizes());
  if (feature) {
    AXON_CHECK(input.dim() >= 2,
               "{}: expected an input with at least 2 dims (N, C, ...), got shape {}", name,
               input.sizes());
    for (size_t d = 2; d < noise_shape.size(); ++d) noise_shape[d] = 1;
  }
  Tensor noise = detail::empty_tensor(noise_shape, input.dtype(), input.device());
  bernoulli_(noise, 1 - p);
  noise.div_(1 - p);
  return input * noise;
}
}  // namespace

Tensor dropout(const Tensor& input, double p, bool train) {
  return dropout_impl(input, p, train, false, "dropout");
}
Tensor feature_dropout(const Tensor& input, double p, bool train) {
  return dropout_impl(input, p, train, true, "feature_dropout");
}

Tensor rand(IntArrayRef size, const TensorOptions& options) {
  Tensor t = empty(size, options.requires_grad(false));
  check_floating(t, "rand");
  uniform_(t, 0, 1);
  return options.requires_grad() ? t.requires_grad_(true) : t;
}

Tensor randn(IntArrayRef size, const TensorOptions& options) {
  Tensor t = empty(size, options.requires_grad(false));
  check_floating(t, "randn");
  normal_(t, 0, 1);
  return options.requires_grad() ? t.requires_grad_(true) : t;
}

Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options) {
  return randint(0, high, size, options);
}

Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options) {
  AXON_CHECK(low < high, "randint: expects 'from' ({}) to be less than 'to' ({})", low, high);
  DType dtype = options.dtype_or(DType::Int64);
  AXON_CHECK(dtype != DType::Bool || (low >= 0 && high <= 2),
             "randint: range [{}, {}) does not fit in bool", low, high);
  AXON_CHECK(dtype != DType::UInt8 || (low >= 0 && high <= 256),
             "randint: range [{}, {}) does not fit in uint8", low, high);
  Tensor t = empty(size, options.dtype(dtype).requires_grad(false));
  fill_random(t, "randint", [&](const Tensor& out, Generator& gen) {
    kernels::random_range_kernel(out.device())(out, low, high, gen);
  });
  return options.requires_grad() ? t.requires_grad_(true) : t;
}

Tensor randperm(int64_t n, const TensorOptions& options) {
  AXON_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  DType dtype = options.dtype_or(DType::Int64);
  AXON_CHECK(dtype == DType::Int64 || is_floating_point(dtype),
             "randperm: dtype {} cannot hold a permutation of {} values", dtype, n);
  // Drawn on the CPU so every device sees the same permutation for a seed.
  Tensor t = detail::empty_tensor({n}, DType::Int64, Device(kCPU));
  fill_random(t, "randperm", [&](const Tensor& out, Generator& gen) {
    kernels::randperm_kernel(DeviceType::CPU)(out, gen);
  });
  NoGradGuard no_grad;
  Tensor out = t.to(options.device(), dtype);
  return options.requires_grad() ? out.requires_grad_(true) : out;
}

}  // namespace axon
