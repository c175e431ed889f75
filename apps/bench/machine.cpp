#include "machine.h"

#include <axon/axon.h>
#include <axon/cuda.h>
#include <axon/version.h>

#include <fstream>
#include <regex>
#include <thread>

#ifdef AXON_BENCH_WITH_CUDA
#include <cuda_runtime_api.h>
#include <cudnn.h>
#endif

namespace axon::bench {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

#ifdef AXON_BENCH_WITH_CUDA
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  ..." while the driver is loaded.
std::optional<std::string> nvidia_driver_version() {
  std::ifstream in("/proc/driver/nvidia/version");
  std::string line;
  std::smatch match;
  if (std::getline(in, line) && std::regex_search(line, match, std::regex(R"((\d+\.\d+(\.\d+)?))")))
    return match[1].str();
  return std::nullopt;
}

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string cuda_version(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

void describe_gpu(MachineInfo& m) {
  int version = 0;
  if (cudaRuntimeGetVersion(&version) == cudaSuccess) m.cuda_runtime = cuda_version(version);
  if (cudaDriverGetVersion(&version) == cudaSuccess && version > 0)
    m.cuda_driver_api = cuda_version(version);
  // cuDNN 9 encodes its version as 10000 * major + 100 * minor + patch.
  const size_t cudnn = cudnnGetVersion();
  m.cudnn = std::to_string(cudnn / 10000) + "." + std::to_string(cudnn % 10000 / 100) + "." +
            std::to_string(cudnn % 100);
  if (m.gpu_count == 0) return;
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess) m.gpu_name = properties.name;
  m.gpu_driver = nvidia_driver_version();
}
#endif

}  // namespace

MachineInfo describe_machine() {
  MachineInfo m;
  m.cpu_model = cpu_model();
  m.logical_cpus = static_cast<int>(std::thread::hardware_concurrency());
  m.threads = get_num_threads();
  m.cpu_libraries = show_config();
  m.gpu_count = cuda::is_available() ? cuda::device_count() : 0;
#ifdef AXON_BENCH_WITH_CUDA
  describe_gpu(m);
#endif
  m.axon_version = AXON_VERSION;
#ifdef AXON_GIT_COMMIT
  if (*AXON_GIT_COMMIT) m.git_commit = AXON_GIT_COMMIT;
#endif
  return m;
}

}  // namespace axon::bench
