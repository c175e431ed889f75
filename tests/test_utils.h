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

#include <string>

#include "axon/axon.h"

namespace axon::testing {

class DeviceTest : public ::testing::TestWithParam<DeviceType> {
 protected:
  void SetUp() override {
    if (!has_allocator(GetParam())) {
      GTEST_SKIP() << "no " << GetParam() << " backend in this build or on this machine";
    }
  }
  Device device() const { return Device(GetParam()); }
  TensorOptions options(DType dtype = kFloat32) const {
    return TensorOptions().dtype(dtype).device(device());
  }
};

inline std::string device_name(const ::testing::TestParamInfo<DeviceType>& info) {
  return info.param == kCPU ? "cpu" : "cuda";
}

// Expects `a` and `b` to agree elementwise within atol + rtol * |b| (on the CPU, in float64).
inline ::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double rtol = 1e-5,
                                            double atol = 1e-6) {
  if (a.sizes() != b.sizes()) {
    return ::testing::AssertionFailure()
           << "shapes differ: " << a.sizes() << " vs " << b.sizes();
  }
  Tensor x = a.detach().cpu().to(kFloat64).contiguous();
  Tensor y = b.detach().cpu().to(kFloat64).contiguous();
  const double* px = x.data_ptr<double>();
  const double* py = y.data_ptr<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    bool both_nan = std::isnan(px[i]) && std::isnan(py[i]);
    if (!both_nan && !(std::abs(px[i] - py[i]) <= atol + rtol * std::abs(py[i]))) {
      return ::testing::AssertionFailure() << "element " << i << ": " << px[i] << " vs " << py[i]
                                           << "\n" << a << "\nvs\n" << b;
    }
  }
  return ::testing::AssertionSuccess();
}

// Expects `statement` to throw axon::Error whose message contains `substring`.
#define EXPECT_AXON_ERROR(statement, substring)                                         \
  do {                                                                                  \
    try {                                                                               \
      statement;                                                                        \
      ADD_FAILURE() << "expected axon::Error containing \"" << (substring) << "\"";     \
    } catch (const ::axon::Error& e) {                                                  \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)               \
          << "message: " << e.what();                                                   \
    }                                                                                   \
  } while (false)

}  // namespace axon::testing

#define AXON_INSTANTIATE_DEVICE_TEST(suite)                                              \
  INSTANTIATE_TEST_SUITE_P(Devices, suite, ::testing::Values(::axon::kCPU, ::axon::kCUDA), \
                           ::axon::testing::device_name)
