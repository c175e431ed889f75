#pragma once
// What dispatch and the autograd engine need of the profiler (include/axon/profiler.h): one
// relaxed load to see whether a Profile records, and a scope type to time a call.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "axon/profiler.h"

namespace axon::detail {

extern std::atomic<bool> g_profiler_recording, g_profiler_records_shapes;
inline bool profiler_recording() { return g_profiler_recording.load(std::memory_order_relaxed); }
inline bool profiler_records_shapes() {
  return g_profiler_records_shapes.load(std::memory_order_relaxed);
}

// A kernel call's scope in the recording profile (KernelCall in core/dispatch.h), timed on a CUDA
// device's stream too; nothing when no profile records.
class KernelScope {
 public:
  KernelScope(std::string name, Device device);
  ~KernelScope();
  void set_input_shapes(std::vector<std::vector<int64_t>> shapes);
  KernelScope(const KernelScope&) = delete;
  KernelScope& operator=(const KernelScope&) = delete;

 private:
  std::shared_ptr<profiler::Profile::Session> session_;
  int64_t index_ = -1;
};

}  // namespace axon::detail
