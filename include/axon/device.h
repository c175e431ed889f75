#pragma once
// Where a tensor lives: Device(kCPU) or Device(kCUDA, index).

#include <fmt/ostream.h>

#include <cstdint>
#include <iosfwd>
#include <string>

namespace axon {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };
inline constexpr int kNumDeviceTypes = 2;
inline constexpr DeviceType kCPU = DeviceType::CPU;
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

class Device {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): Device(kCPU) and kCPU are interchangeable.
  constexpr Device(DeviceType type, int8_t index = -1) : type_(type), index_(index) {}
  // "cpu", "cuda", "cuda:1"; anything else throws.
  explicit Device(const std::string& spec);
  // NOLINTNEXTLINE(google-explicit-constructor): Device("cuda:0") reads like LibTorch.
  Device(const char* spec) : Device(std::string(spec)) {}

  constexpr DeviceType type() const { return type_; }
  // -1 means "the current device" (always 0 for the CPU).
  constexpr int8_t index() const { return index_; }
  constexpr bool has_index() const { return index_ >= 0; }
  constexpr bool is_cpu() const { return type_ == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type_ == DeviceType::CUDA; }
  std::string str() const;

  // cpu == cpu; cuda (no index) == cuda:0 since index -1 means the current device.
  friend constexpr bool operator==(const Device& a, const Device& b) {
    return a.type_ == b.type_ && (a.type_ == DeviceType::CPU || a.resolved() == b.resolved());
  }

 private:
  constexpr int8_t resolved() const { return index_ < 0 ? 0 : index_; }
  DeviceType type_;
  int8_t index_;
};

std::ostream& operator<<(std::ostream& os, const Device& device);
std::ostream& operator<<(std::ostream& os, DeviceType type);

}  // namespace axon

template <>
struct fmt::formatter<axon::Device> : fmt::ostream_formatter {};
template <>
struct fmt::formatter<axon::DeviceType> : fmt::ostream_formatter {};
