// include/axon/cuda.h and core/cuda_hooks.h in a build without the CUDA backend (CMakeLists.txt
// compiles this file only then): no GPU, statistics of 0, and an axon::Error for anything that
// needs a device.
#include "axon/cuda.h"
#include "axon/error.h"
#include "core/cuda_hooks.h"

namespace axon {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  AXON_ERROR("{}: CUDA is not available: this build of axon has no CUDA backend", what);
}
}  // namespace

namespace cuda {

bool is_available() { return false; }
int device_count() { return 0; }
void synchronize(int /*device*/) { no_cuda("synchronize"); }
int current_device() { no_cuda("current_device"); }
void set_device(int /*device*/) { no_cuda("set_device"); }
void Stream::synchronize() const { no_cuda("Stream::synchronize"); }
Stream current_stream(int /*device*/) { no_cuda("current_stream"); }

// An Event is never created here: record() throws first.
Event::~Event() = default;
Event::Event(Event&& other) noexcept
    : event_(other.event_), device_(other.device_), enable_timing_(other.enable_timing_) {}
Event& Event::operator=(Event&& other) noexcept {
  enable_timing_ = other.enable_timing_;
  return *this;
}
void Event::record() { no_cuda("Event::record"); }
void Event::record(const Stream& /*stream*/) { no_cuda("Event::record"); }
void Event::synchronize() const {}
bool Event::query() const { return true; }
float Event::elapsed_time(const Event& /*end*/) const { no_cuda("Event::elapsed_time"); }

struct CUDAGraph::Impl {};
CUDAGraph::CUDAGraph() = default;
CUDAGraph::~CUDAGraph() = default;
void CUDAGraph::capture_begin() { no_cuda("CUDAGraph::capture_begin"); }
void CUDAGraph::capture_end() { no_cuda("CUDAGraph::capture_end"); }
void CUDAGraph::replay() { no_cuda("CUDAGraph::replay"); }
void CUDAGraph::reset() {}
bool is_current_stream_capturing() { return false; }

size_t memory_allocated(int /*device*/) { return 0; }
size_t max_memory_allocated(int /*device*/) { return 0; }
size_t memory_reserved(int /*device*/) { return 0; }
void reset_peak_memory_stats(int /*device*/) {}
std::pair<size_t, size_t> mem_get_info(int /*device*/) { no_cuda("mem_get_info"); }
void empty_cache() {}

}  // namespace cuda

namespace detail {
Allocator* pinned_host_allocator() { no_cuda("pin_memory"); }
bool is_pinned(const void* /*data*/) { return false; }
int64_t cudnn_algorithm_searches() { return 0; }
// No tensor lives on a GPU here, so no check is ever deferred.
void defer_device_check(const Tensor& /*failed*/, std::function<std::string()> /*message*/) {
  no_cuda("defer_device_check");
}
void raise_deferred_device_checks() {}
void abandon_capture_after_error(const std::string& /*message*/) noexcept {}
}  // namespace detail

}  // namespace axon
