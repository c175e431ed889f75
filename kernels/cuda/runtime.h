#pragma once
// The CUDA backend's view of the runtime: device checks, a device guard, the current stream, and
// the CUDA graph capture a thread has under way.

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "axon/tensor.h"

namespace axon::cuda_backend {

// Throws axon::Error unless a GPU is usable; `what` names the caller.
void check_available(const char* what);
// -1 -> the current device; otherwise checks the index against device_count().
int resolve_device(int device);
// The stream kernels and copies go to: the device's own stream, or, on a thread capturing a CUDA
// graph on that device, the capture's stream. During a capture, asking for another device's
// stream throws: that work would run at once rather than be captured.
cudaStream_t current_stream(int device = -1);
// The device's own stream, where eager work and graph replays run, whatever this thread captures.
cudaStream_t device_stream(int device);

// A deferred device check (core/cuda_hooks.h) met during a capture: the graph queues it after
// each replay.
struct CapturedCheck {
  Tensor failed;
  std::function<std::string()> message;
};

// A CUDA graph capture under way on this thread (kernels/cuda/graph.cpp): what it captures goes
// to `stream`, what it allocates comes from the private pool `pool`.
struct ActiveCapture {
  int device = -1;
  uint64_t pool = 0;
  cudaStream_t stream = nullptr;
  std::vector<CapturedCheck> checks;
  // The error that abandoned the capture, if any (abandon_capture_after_error): capture_end fails.
  std::string refused;
};
// This thread's capture, or nullptr; set by CUDAGraph::capture_begin, cleared by capture_end.
ActiveCapture* active_capture();
void set_active_capture(ActiveCapture* capture);
// Throws axon::Error when this thread is capturing a CUDA graph: `what` (a host wait, a copy
// from or to the host, a random fill) cannot be part of one; `why` says what would go wrong. As
// any axon::Error during a capture, it abandons the capture: capture_end() throws.
void check_not_capturing(const char* what, const char* why);

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
