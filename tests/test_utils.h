#pragma once
// Helpers for the test suites.
//
// Device-parameterised tests run every case on the CPU and, where a backend is registered, on
// CUDA; without a GPU the CUDA cases are reported as skipped, never as passed:
//
//   class AddTest : public axon::testing::DeviceTest {};
//   TEST_P(AddTest, Broadcasts) { auto x = axon::ones({2}, device()); ... }
//   AXON_INSTANTIATE_DEVICE_TEST(AddTest);

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "axon/axon.h"

namespace axon::testing {

class DeviceTest : public ::testing::TestWithParam<DeviceType> {
 protected:
  void SetUp() override {
    if (!has_allocator(GetParam()) || (GetParam() == kCUDA && !cuda::is_available())) {
      GTEST_SKIP() << "no " << GetParam() << " backend in this build or on this machine";
    }
  }
  Device device() const { return Device(GetParam()); }
  TensorOptions options(DType dtype = kFloat32) const {
    return TensorOptions().dtype(dtype).device(device());
  }
  // A tensor on the test's device; float32 unless a dtype is given.
  Tensor make(const TensorData& data, DType dtype = kFloat32) const {
    return tensor(data, options(dtype));
  }
  // An expected value, on the CPU; float32 unless a dtype is given.
  static Tensor ref(const TensorData& data, DType dtype = kFloat32) {
    return tensor(data, TensorOptions(dtype));
  }
  // start, start + 1, ... as int64 on the test's device, in the given shape.
  Tensor iota(IntArrayRef shape, int64_t start = 0) const {
    const int64_t n = product(shape);
    return arange(start, start + n, options(kInt64)).view(shape);
  }
};

// A DeviceTest for the autograd suites: make and ref default to float64 (exact gradients, and
// what PyTorch's checks use), and leaf adds requires_grad.
class Float64DeviceTest : public DeviceTest {
 protected:
  // A leaf that requires grad, on the test's device; float64 unless a dtype is given.
  Tensor leaf(const TensorData& data, DType dtype = kFloat64) const {
    return make(data, dtype).requires_grad_();
  }
  // DeviceTest's make and ref, but float64 unless a dtype is given.
  Tensor make(const TensorData& data, DType dtype = kFloat64) const {
    return DeviceTest::make(data, dtype);
  }
  static Tensor ref(const TensorData& data, DType dtype = kFloat64) {
    return DeviceTest::ref(data, dtype);
  }
};

inline std::string device_name(const ::testing::TestParamInfo<DeviceType>& info) {
  return info.param == kCPU ? "cpu" : "cuda";
}

// Expects `a` and `b` to agree elementwise within atol + rtol * |b| (on the CPU, in float64).
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rtol = 1e-5,
                                            double atol = 1e-6) {
  if (a.sizes() != b.sizes()) {
    return ::testing::AssertionFailure() << "shapes differ: " << a.sizes() << " vs " << b.sizes();
  }
  Tensor x = a.detach().cpu().to(kFloat64).contiguous();
  Tensor y = b.detach().cpu().to(kFloat64).contiguous();
  const double* px = x.data_ptr<double>();
  const double* py = y.data_ptr<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    bool both_nan = std::isnan(px[i]) && std::isnan(py[i]);
    if (!both_nan && !(std::abs(px[i] - py[i]) <= atol + rtol * std::abs(py[i]))) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << px[i] << " vs " << py[i] << "\n"
             << a << "\nvs\n"
             << b;
    }
  }
  return ::testing::AssertionSuccess();
}

// A tensor's shape as a vector, for EXPECT_EQ(t.sizes().vec(), (Shape{2, 3})).
using Shape = std::vector<int64_t>;

// Special values for expected tensors (same_values matches NaN with NaN).
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// The elements of `t` (copied to the CPU, row-major); throws if T is not t's element type.
template <typename T>
std::vector<T> values(const Tensor& t) {
  Tensor c = t.cpu().contiguous();
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}

// Expected element lists for EXPECT_EQ(values<T>(t), longs({...})) without spelling the type.
inline std::vector<int64_t> longs(std::initializer_list<int64_t> v) { return v; }
inline std::vector<float> floats(std::initializer_list<float> v) { return v; }

// Compares on the CPU in float64: dtype and shape must match; NaN matches NaN, an infinity
// matches the same infinity, other elements must agree within atol + rtol * |expected|.
inline ::testing::AssertionResult same_values(const Tensor& actual, const Tensor& expected,
                                              double rtol = 0, double atol = 0) {
  if (actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << actual.dtype() << ", expected " << expected.dtype() << "\n"
           << actual;
  }
  if (actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << actual.sizes() << ", expected " << expected.sizes();
  }
  Tensor x = actual.detach().cpu().to(kFloat64).contiguous();
  Tensor y = expected.detach().cpu().to(kFloat64).contiguous();
  const double* px = x.data_ptr<double>();
  const double* py = y.data_ptr<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(px[i]) && std::isnan(py[i])) continue;
    if (px[i] == py[i]) continue;
    if (std::abs(px[i] - py[i]) <= atol + rtol * std::abs(py[i])) continue;
    return ::testing::AssertionFailure()
           << "element " << i << ": " << px[i] << " vs expected " << py[i] << "\n"
           << actual << "\nvs\n"
           << expected;
  }
  return ::testing::AssertionSuccess();
}

// all_close that first fails on an undefined `actual` (an absent gradient); dtypes are not
// compared (values printed by PyTorch).
inline ::testing::AssertionResult approx(const Tensor& actual, const Tensor& expected, double rtol,
                                         double atol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "the tensor is undefined";
  return all_close(actual, expected, rtol, atol);
}

// Exact comparison of shape and every element (approx with no tolerance; dtypes not compared).
inline ::testing::AssertionResult same(const Tensor& actual, const Tensor& expected) {
  return approx(actual, expected, 0, 0);
}

// Expects `statement` to throw axon::Error whose message contains `substring`.
#define EXPECT_AXON_ERROR(statement, substring)                                     \
  do {                                                                              \
    try {                                                                           \
      statement;                                                                    \
      ADD_FAILURE() << "expected axon::Error containing \"" << (substring) << "\""; \
    } catch (const ::axon::Error& e) {                                              \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)           \
          << "message: " << e.what();                                               \
    }                                                                               \
  } while (false)

}  // namespace axon::testing

#define AXON_INSTANTIATE_DEVICE_TEST(suite)                                                \
  INSTANTIATE_TEST_SUITE_P(Devices, suite, ::testing::Values(::axon::kCPU, ::axon::kCUDA), \
                           ::axon::testing::device_name)
