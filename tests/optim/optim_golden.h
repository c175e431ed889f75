#pragma once
// The golden file of the optimizer suites (tests/reference/golden_optim.json, written by
// tests/reference/generate_optim_golden.py) and helpers to read its numbers.

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_utils.h"

namespace axon::testing {

using json = nlohmann::json;

inline const json& optim_golden() {
  static const json data = [] {
    std::ifstream in(AXON_TEST_REFERENCE_DIR "/golden_optim.json");
    if (!in) throw std::runtime_error("cannot open " AXON_TEST_REFERENCE_DIR "/golden_optim.json");
    return json::parse(in);
  }();
  return data;
}

inline DType dtype_named(const std::string& name) {
  if (name == "float32") return kFloat32;
  if (name == "float64") return kFloat64;
  throw std::runtime_error("golden file: unexpected dtype " + name);
}

// A tensor of `shape` from the file's flat values (float32 values are stored as the doubles they
// convert to exactly, so the conversion is exact).
inline Tensor golden_tensor(const json& values, const std::vector<int64_t>& shape, DType dtype,
                            Device device = Device(kCPU)) {
  return tensor(values.get<std::vector<double>>(), shape).to(device, dtype);
}

}  // namespace axon::testing
