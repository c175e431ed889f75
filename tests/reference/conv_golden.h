#pragma once
// Reading conv_golden.json (written by generate_conv_golden.py) for conv_test and pooling_test.
//
// Each case: op, args, float64 inputs, the upstream gradient `weight`, and per dtype ("float64",
// "float32") PyTorch's outputs and the gradients of (out * weight).sum() w.r.t. every input.
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon::testing {

using json = nlohmann::json;

inline const json& conv_golden() {
  static const json data = [] {
    std::ifstream in(AXON_TEST_REFERENCE_DIR "/conv_golden.json");
    if (!in) throw std::runtime_error("cannot open " AXON_TEST_REFERENCE_DIR "/conv_golden.json");
    return json::parse(in);
  }();
  return data;
}

// The golden cases of one op.
inline std::vector<json> golden_cases(const std::string& op) {
  std::vector<json> cases;
  for (const json& c : conv_golden().at("cases")) {
    if (c.at("op") == op) cases.push_back(c);
  }
  return cases;
}

// {"dtype", "shape", "data"} as a tensor of `dtype` (floating data) on `device`.
inline Tensor golden_tensor(const json& enc, DType dtype, Device device) {
  const std::vector<int64_t> shape = enc.at("shape").get<std::vector<int64_t>>();
  if (enc.at("dtype") == "int64") {
    return tensor(enc.at("data").get<std::vector<int64_t>>(), shape).to(device);
  }
  return tensor(enc.at("data").get<std::vector<double>>(), shape).to(device, dtype);
}

// An int list argument given as one value or a list; `fallback` when absent.
inline std::vector<int64_t> int_list(const json& args, const char* key,
                                     std::vector<int64_t> fallback) {
  if (!args.contains(key)) return fallback;
  const json& v = args.at(key);
  return v.is_array() ? v.get<std::vector<int64_t>>() : std::vector<int64_t>{v.get<int64_t>()};
}

// Float64 results must agree to rounding; float32 ones within a relative 1e-5 (the inputs are
// exact in both, so only the order of additions differs).
inline double golden_rtol(DType dtype) { return dtype == kFloat64 ? 1e-12 : 1e-5; }
inline double golden_atol(DType dtype) { return dtype == kFloat64 ? 1e-12 : 1e-6; }

// Runs `op` on a case's inputs in both dtypes and compares the outputs and the gradients of
// (out * weight).sum() with PyTorch's. `op` returns the outputs (the first is differentiated).
template <typename Op>
void check_golden_case(const json& c, Device device, const Op& op) {
  SCOPED_TRACE(c.at("name").get<std::string>());
  for (DType dtype : {kFloat64, kFloat32}) {
    SCOPED_TRACE(fmt::format("{}", dtype));
    const json& expected = c.at(dtype == kFloat64 ? "float64" : "float32");
    std::vector<Tensor> inputs;
    for (const json& enc : c.at("inputs")) {
      inputs.push_back(golden_tensor(enc, dtype, device).requires_grad_());
    }
    const std::vector<Tensor> outputs = op(inputs, c.at("args"));
    ASSERT_EQ(outputs.size(), expected.at("outputs").size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor want = golden_tensor(expected.at("outputs")[i], dtype, kCPU);
      EXPECT_EQ(outputs[i].dtype(), want.dtype());
      EXPECT_TRUE(approx(outputs[i], want, golden_rtol(dtype), golden_atol(dtype)))
          << "output " << i;
    }
    (outputs[0] * golden_tensor(c.at("weight"), dtype, device)).sum().backward();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor want = golden_tensor(expected.at("grads")[i], dtype, kCPU);
      EXPECT_TRUE(approx(inputs[i].grad(), want, golden_rtol(dtype), golden_atol(dtype)))
          << "gradient of input " << i;
    }
  }
}

}  // namespace axon::testing
