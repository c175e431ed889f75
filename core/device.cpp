#include "axon/device.h"

#include <charconv>
#include <ostream>

#include "axon/error.h"

namespace axon {

Device::Device(const std::string& spec) : type_(DeviceType::CPU), index_(-1) {
  std::string_view s = spec;
  std::string_view type = s.substr(0, s.find(':'));
  if (type == "cpu") {
    type_ = DeviceType::CPU;
  } else if (type == "cuda") {
    type_ = DeviceType::CUDA;
  } else {
    AXON_ERROR("Device: unknown device '{}' (expected 'cpu', 'cuda' or 'cuda:N')", spec);
  }
  if (type.size() < s.size()) {
    std::string_view index = s.substr(type.size() + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(index.data(), index.data() + index.size(), value);
    AXON_CHECK(ec == std::errc() && end == index.data() + index.size() && value >= 0 && value < 128,
               "Device: invalid device index in '{}'", spec);
    AXON_CHECK(type_ == DeviceType::CUDA || value == 0,
               "Device: the CPU has only index 0, got '{}'", spec);
    index_ = static_cast<int8_t>(value);
  }
}

std::string Device::str() const {
  if (type_ == DeviceType::CPU) return "cpu";
  return index_ < 0 ? "cuda" : "cuda:" + std::to_string(index_);
}

std::ostream& operator<<(std::ostream& os, const Device& device) { return os << device.str(); }
std::ostream& operator<<(std::ostream& os, DeviceType type) {
  return os << (type == DeviceType::CPU ? "cpu" : "cuda");
}

}  // namespace axon
