#pragma once
// The CUDA runtime as axon exposes it: devices, the current stream, events for timing, and the
// caching allocator's statistics. Declarations only (no CUDA headers), so every program can
// include it; in a build without the CUDA backend is_available() is false, device_count() is 0,
// the statistics are 0 and everything that needs a GPU throws axon::Error.
//
// A `device` argument of -1 means the current device.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

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

// A CUDA graph, as torch.cuda.CUDAGraph (at::cuda::CUDAGraph): the GPU work this thread queues
// between capture_begin() and capture_end() is recorded, not run, and replay() runs all of it
// again with one launch, on the same memory. A training step of fixed shapes becomes one launch
// instead of one per kernel:
//
//   step();                          // once eagerly first: handles, algorithm choices, state
//   optimizer.zero_grad();           // the capture then allocates the gradients, as its own
//   cuda::CUDAGraph graph;
//   graph.capture_begin();
//   Tensor loss = F::cross_entropy(model->forward(static_x), static_y);
//   loss.backward();
//   optimizer.step();
//   graph.capture_end();
//   for (...) { static_x.copy_(x); static_y.copy_(y); graph.replay(); }  // loss is rewritten
//
// What a replay repeats is the captured kernels with their captured arguments: the same
// addresses, shapes and scalars (the learning rate, too). So inputs go in by copying into the
// tensors the capture read, results are read from the tensors it wrote, and a change of shape or
// hyperparameter needs a new capture (reset(), then capture again). Memory the capture allocates
// comes from a pool of the graph's own and is not handed to other work while the graph lives;
// tensors made before the capture and read or written by it must be kept alive by the caller
// for as long as the graph may replay. During a capture, nothing on this thread may wait for the
// GPU or move data between the host and the GPU (item(), to(kCPU), cuda::synchronize(), a copy
// from host memory), use another GPU, or draw random numbers (each replay would repeat them):
// those throw axon::Error. Any axon::Error during a capture abandons it: what runs next runs
// eagerly, and capture_end() throws that error's message. Other threads' GPU work is not
// captured. Checks whose verdict the GPU computes (nll_loss's target range) run at every replay
// and surface at the next synchronisation, as in eager mode. Reset or destroy a graph on the
// thread that captured it.
class CUDAGraph {
 public:
  CUDAGraph();
  ~CUDAGraph();
  CUDAGraph(const CUDAGraph&) = delete;
  CUDAGraph& operator=(const CUDAGraph&) = delete;

  // Starts capturing the current device's work queued from this thread.
  void capture_begin();
  // Ends the capture and prepares the graph for replay.
  void capture_end();
  // Runs the captured work on the current stream, after the work queued before it.
  void replay();
  // Drops the graph (or a capture under way) and gives its memory back to the allocator.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether this thread is capturing a CUDA graph on the current device (false without a GPU).
bool is_current_stream_capturing();

// Statistics of the caching device allocator, in bytes: memory held by live tensors (rounded to
// the allocator's size classes), its peak since the start or the last reset, and all memory
// taken from the driver (live plus cached).
size_t memory_allocated(int device = -1);
size_t max_memory_allocated(int device = -1);
size_t memory_reserved(int device = -1);
void reset_peak_memory_stats(int device = -1);
// The device's free and total memory in bytes, as the driver reports them (torch.cuda.
// mem_get_info): blocks axon's allocator caches count as used.
std::pair<size_t, size_t> mem_get_info(int device = -1);
// Returns the cached blocks no tensor uses to the driver (device and pinned host memory).
void empty_cache();

}  // namespace axon::cuda
