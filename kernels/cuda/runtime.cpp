// Devices, streams and events (include/axon/cuda.h).
#include "kernels/cuda/runtime.h"

#include <array>
#include <atomic>
#include <mutex>

#include "axon/cuda.h"
#include "core/cuda_hooks.h"
#include "kernels/cuda/cuda_check.h"

namespace axon::cuda_backend {
namespace {

constexpr int kMaxDevices = 128;  // Device's index is an int8_t

// The device count, asked once; 0 without a driver or a GPU.
int probe_device_count() {
  static const int count = [] {
    int n = 0;
    cudaError_t status = cudaGetDeviceCount(&n);
    if (status != cudaSuccess) {
      // cudaErrorInsufficientDriver (no driver) and cudaErrorNoDevice both mean "no GPU".
      (void)cudaGetLastError();
      return 0;
    }
    return n;
  }();
  return count;
}

thread_local ActiveCapture* this_thread_capture = nullptr;

}  // namespace

ActiveCapture* active_capture() { return this_thread_capture; }
void set_active_capture(ActiveCapture* capture) { this_thread_capture = capture; }

void check_not_capturing(const char* what, const char* why) {
  if (this_thread_capture == nullptr) [[likely]] return;
  AXON_ERROR("{}: not allowed while this thread captures a CUDA graph (cuda::CUDAGraph on cuda:{}): {}",
             what, this_thread_capture->device, why);
}

void check_available(const char* what) {
  AXON_CHECK(probe_device_count() > 0,
             "{}: CUDA is not available (no CUDA driver or no GPU on this machine; "
             "cuda::is_available() is false)",
             what);
}

int resolve_device(int device) {
  check_available("CUDA");
  if (device < 0) return cuda::current_device();
  AXON_CHECK(device < probe_device_count(), "CUDA: device index {} is out of range ({} devices)",
             device, probe_device_count());
  return device;
}

cudaStream_t current_stream(int device) {
  device = resolve_device(device);
  if (this_thread_capture != nullptr) [[unlikely]] {
    AXON_CHECK(this_thread_capture->device == device,
               "cuda:{}: no work on another device while this thread captures a CUDA graph on "
               "cuda:{}: it would run at once instead of being captured",
               device, this_thread_capture->device);
    return this_thread_capture->stream;
  }
  return device_stream(device);
}

cudaStream_t device_stream(int device) {
  static std::array<std::atomic<cudaStream_t>, kMaxDevices> streams{};
  static std::mutex mutex;
  device = resolve_device(device);
  cudaStream_t stream = streams[device].load(std::memory_order_acquire);
  if (stream != nullptr) return stream;
  std::lock_guard<std::mutex> lock(mutex);
  stream = streams[device].load(std::memory_order_relaxed);
  if (stream == nullptr) {
    DeviceGuard guard(device);
    // Non-blocking: the legacy default stream would serialise with every other stream.
    AXON_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    streams[device].store(stream, std::memory_order_release);
  }
  return stream;
}

DeviceGuard::DeviceGuard(int device) : previous_(cuda::current_device()), device_(device) {
  if (device_ != previous_) AXON_CUDA_CHECK(cudaSetDevice(device_));
}

DeviceGuard::~DeviceGuard() {
  if (device_ != previous_) (void)cudaSetDevice(previous_);
}

}  // namespace axon::cuda_backend

namespace axon::detail {

void abandon_capture_after_error(const std::string& message) noexcept {
  cuda_backend::ActiveCapture* capture = cuda_backend::this_thread_capture;
  if (capture == nullptr) return;
  cuda_backend::this_thread_capture = nullptr;
  capture->refused = message;
  cudaGraph_t partial = nullptr;
  (void)cudaStreamEndCapture(capture->stream, &partial);
  (void)cudaGetLastError();
  if (partial != nullptr) (void)cudaGraphDestroy(partial);
}

}  // namespace axon::detail

namespace axon::cuda {

using cuda_backend::check_available;
using cuda_backend::check_not_capturing;
using cuda_backend::DeviceGuard;
using cuda_backend::resolve_device;

bool is_available() { return device_count() > 0; }
int device_count() { return cuda_backend::probe_device_count(); }

void synchronize(int device) {
  check_not_capturing("cuda::synchronize", "the host cannot wait for work that is not running");
  DeviceGuard guard(resolve_device(device));
  AXON_CUDA_CHECK(cudaDeviceSynchronize());
  detail::raise_deferred_device_checks();
}

std::pair<size_t, size_t> mem_get_info(int device) {
  DeviceGuard guard(resolve_device(device));
  size_t free = 0, total = 0;
  AXON_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return {free, total};
}

int current_device() {
  check_available("current_device");
  int device = 0;
  AXON_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

void set_device(int device) {
  check_available("set_device");
  AXON_CHECK(device >= 0 && device < device_count(),
             "set_device: device index {} is out of range ({} devices)", device, device_count());
  AXON_CUDA_CHECK(cudaSetDevice(device));
}

void Stream::synchronize() const {
  check_not_capturing("Stream::synchronize", "the host cannot wait for work that is not running");
  AXON_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(handle_)));
}

Stream current_stream(int device) {
  device = resolve_device(device);
  return Stream(cuda_backend::current_stream(device), device);
}

Event::~Event() {
  if (event_ != nullptr) (void)cudaEventDestroy(static_cast<cudaEvent_t>(event_));
}

Event::Event(Event&& other) noexcept
    : event_(other.event_), device_(other.device_), enable_timing_(other.enable_timing_) {
  other.event_ = nullptr;
}

Event& Event::operator=(Event&& other) noexcept {
  std::swap(event_, other.event_);
  std::swap(device_, other.device_);
  std::swap(enable_timing_, other.enable_timing_);
  return *this;
}

void Event::record() { record(current_stream()); }

void Event::record(const Stream& stream) {
  AXON_CHECK(event_ == nullptr || device_ == stream.device_index(),
             "Event::record: the event belongs to cuda:{}, the stream to cuda:{}", device_,
             stream.device_index());
  DeviceGuard guard(stream.device_index());
  if (event_ == nullptr) {
    cudaEvent_t event = nullptr;
    AXON_CUDA_CHECK(cudaEventCreateWithFlags(
        &event, enable_timing_ ? cudaEventDefault : cudaEventDisableTiming));
    event_ = event;
    device_ = stream.device_index();
  }
  AXON_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_),
                                  static_cast<cudaStream_t>(stream.handle())));
}

void Event::synchronize() const {
  check_not_capturing("Event::synchronize", "the host cannot wait for work that is not running");
  if (event_ != nullptr) AXON_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event_)));
}

bool Event::query() const {
  check_not_capturing("Event::query", "the work of a capture does not run");
  if (event_ == nullptr) return true;
  cudaError_t status = cudaEventQuery(static_cast<cudaEvent_t>(event_));
  if (status == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  AXON_CUDA_CHECK(status);
  return true;
}

float Event::elapsed_time(const Event& end) const {
  check_not_capturing("Event::elapsed_time", "the work of a capture does not run");
  AXON_CHECK(event_ != nullptr && end.event_ != nullptr,
             "Event::elapsed_time: both events must be recorded first");
  AXON_CHECK(enable_timing_ && end.enable_timing_,
             "Event::elapsed_time: both events need enable_timing=true");
  float ms = 0;
  AXON_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(event_),
                                       static_cast<cudaEvent_t>(end.event_)));
  return ms;
}

}  // namespace axon::cuda
