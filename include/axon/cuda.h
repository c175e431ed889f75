#pragma once
// The CUDA runtime as axon exposes it: devices, the current stream, events for timing, and the
// caching allocator's statistics. Declarations only (no CUDA headers), so every program can
// include it; in a build without the CUDA backend is_available() is false, device_count() is 0,
// the statistics are 0 and everything that needs a GPU throws axon::Error.
//
// A `device` argument of -1 means the current device.

#include <cstddef>
#include <cstdint>

namespace axon::cuda {

// False without a GPU, without a driver, or in a build without the CUDA backend.
bool is_available();
int device_count();
// Waits for all work queued on `device`.
void synchronize(int device = -1);
int current_device();
void set_device(int device);

// A stream of one device. The handle is a cudaStream_t.
class Stream {
 public:
  Stream(void* handle, int device) : handle_(handle), device_(device) {}
  void* handle() const { return handle_; }
  int device_index() const { return device_; }
  // Waits for the work queued on this stream.
  void synchronize() const;

 private:
  void* handle_;
  int device_;
};

// The stream axon's kernels and copies are queued on: one per device, a non-default stream
// created on first use.
Stream current_stream(int device = -1);

// A CUDA event, created on its first record().
class Event {
 public:
  explicit Event(bool enable_timing = true) : enable_timing_(enable_timing) {}
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;

  // Records the event on the current stream of the current device.
  void record();
  void record(const Stream& stream);
  // Waits until the recorded work is done.
  void synchronize() const;
  // Whether the recorded work is done (true for an event never recorded).
  bool query() const;
  // Milliseconds from this event to `end`; both recorded, timing enabled, and complete.
  float elapsed_time(const Event& end) const;

 private:
  void* event_ = nullptr;
  int device_ = -1;
  bool enable_timing_;
};

// Statistics of the caching device allocator, in bytes: memory held by live tensors (rounded to
// the allocator's size classes), its peak since the start or the last reset, and all memory
// taken from the driver (live plus cached).
size_t memory_allocated(int device = -1);
size_t max_memory_allocated(int device = -1);
size_t memory_reserved(int device = -1);
void reset_peak_memory_stats(int device = -1);
// Returns the cached blocks no tensor uses to the driver (device and pinned host memory).
void empty_cache();

}  // namespace axon::cuda
