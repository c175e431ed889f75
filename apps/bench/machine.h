#pragma once
// What a benchmark ran on: the processor, the GPU and its software, axon's version and commit.

#include <optional>
#include <string>

namespace axon::bench {

struct MachineInfo {
  std::string cpu_model;  // /proc/cpuinfo's "model name"
  int logical_cpus = 0;
  int threads = 0;            // axon's CPU threads
  std::string cpu_libraries;  // axon::show_config(): the GEMM libraries and their kernels
  int gpu_count = 0;
  // Unknown (null in the JSON) without a GPU, or in a build without the CUDA backend.
  std::optional<std::string> gpu_name;         // of device 0
  std::optional<std::string> gpu_driver;       // the NVIDIA kernel module's version
  std::optional<std::string> cuda_driver_api;  // the CUDA version the driver supports
  std::optional<std::string> cuda_runtime;
  std::optional<std::string> cudnn;
  std::string axon_version;
  std::optional<std::string> git_commit;  // as configured by CMake; "-dirty" with local edits
};

MachineInfo describe_machine();

}  // namespace axon::bench
