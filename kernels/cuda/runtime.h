#pragma once
// The CUDA backend's view of the runtime: device checks, a device guard and the current stream.

#include <cuda_runtime.h>

namespace axon::cuda_backend {

// Throws axon::Error unless a GPU is usable; `what` names the caller.
void check_available(const char* what);
// -1 -> the current device; otherwise checks the index against device_count().
int resolve_device(int device);
cudaStream_t current_stream(int device = -1);

// Makes `device` current for the scope (nothing to do when it already is).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
  int device_;
};

}  // namespace axon::cuda_backend
