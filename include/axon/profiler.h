#pragma once
// A profiler after torch.autograd.profiler / torch.profiler: while a Profile records, every
// kernel call (each dispatch through a kernel table), every autograd node's backward and every
// RecordFunction scope is timed on the host, and kernel calls on a CUDA device also on the
// device, with a pair of CUDA events around each on its stream.
//
//   axon::profiler::Profile profile;            // starts recording ({.record_shapes = true}:
//                                               // and each kernel call's tensor shapes)
//   for (int i = 0; i < 10; ++i) train_step();
//   profile.stop();                             // waits for the devices, reads their times
//   fmt::print("{}", profile.table("self_cpu_time_total", 20));
//   profile.export_chrome_trace("trace.json");  // chrome://tracing or ui.perfetto.dev
//
// Kernel scopes are named after their kernel table, elementwise ones with their op:
// "binary_kernel[Mul]". Device time is the time between the two events on the stream: when the
// host launches slower than the device runs (small batches), it includes the wait for the
// launch, so compare host times there. Work queued while a CUDA graph is captured is timed on
// the host only; a graph's replay is one host call, not timed per kernel.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "axon/device.h"

namespace axon::profiler {

// One timed scope. Times in microseconds; start and end on the host, from the profile's start.
struct FunctionEvent {
  std::string name;
  Device device = kCPU;  // kernel calls: the device they ran on; other scopes: the CPU
  int64_t thread = 0;    // 0, 1, ... in the order threads first recorded
  int64_t parent = -1;   // index in events() of the enclosing scope on the same thread
  double start_us = 0;
  double end_us = 0;
  double self_cpu_us = 0;  // end - start less the scopes directly inside
  double device_us = 0;    // device time of the CUDA kernel calls in this scope, its own included
  double self_device_us = 0;  // device time of this kernel call itself (0 for other scopes)
  // With record_shapes: the sizes of the kernel call's tensor arguments, in order ([] for an
  // undefined one, such as a missing bias); empty otherwise.
  std::vector<std::vector<int64_t>> input_shapes;
  double device_start_us = 0;  // when it began on the device, on the host's clock (by its
                               // device's first timed call, taken to begin at its launch)
  double cpu_us() const { return end_us - start_us; }
};

// key_averages(): the events of one name and device (and input shapes, when grouped by them).
struct FunctionEventAvg {
  std::string name;
  Device device = kCPU;
  std::vector<std::vector<int64_t>> input_shapes;  // when grouped by them
  int64_t count = 0;
  double cpu_time_total_us = 0;
  double self_cpu_time_total_us = 0;
  double device_time_total_us = 0;
  double self_device_time_total_us = 0;
};

struct ProfileOptions {
  // Record each kernel call's tensor shapes (torch.profiler's record_shapes), so that the calls
  // of one kernel on different layers can be told apart (key_averages' group_by_input_shape).
  bool record_shapes = false;
};

class Profile {
 public:
  // Starts recording; an axon::Error while another Profile records.
  explicit Profile(ProfileOptions options = {});
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  // Stops recording, waits for the devices' queued work and reads the device times. Scopes
  // still open end here. Calling it again does nothing.
  void stop();

  // These need a stopped profile (an axon::Error otherwise).
  const std::vector<FunctionEvent>& events() const;
  // Sorted by `sort_by` (largest first): "cpu_time_total", "self_cpu_time_total",
  // "device_time_total", "self_device_time_total" or "count"; PyTorch's "cuda_time_total" and
  // "self_cuda_time_total" name the device columns too.
  // With group_by_input_shape, calls of one kernel with different shapes are separate rows.
  std::vector<FunctionEventAvg> key_averages(std::string_view sort_by = "cpu_time_total",
                                             bool group_by_input_shape = false) const;
  // key_averages() as an aligned text table of at most `row_limit` rows (-1: all), with totals;
  // grouped by input shape, with a column of them.
  std::string table(std::string_view sort_by = "cpu_time_total", int64_t row_limit = -1,
                    bool group_by_input_shape = false) const;
  // Chrome's trace-event JSON ("X" events, microseconds): host scopes on their threads, and the
  // device time of each CUDA kernel call after its launch on a row of its own.
  void export_chrome_trace(const std::string& path) const;

  struct Session;

 private:
  std::shared_ptr<Session> session_;
};

// A named scope in the profile (torch.profiler.record_function); nothing while none records.
class RecordFunction {
 public:
  explicit RecordFunction(std::string_view name);
  ~RecordFunction();
  RecordFunction(const RecordFunction&) = delete;
  RecordFunction& operator=(const RecordFunction&) = delete;

 private:
  std::shared_ptr<Profile::Session> session_;
  int64_t index_ = -1;
};

// Whether a Profile is recording.
bool is_enabled();

}  // namespace axon::profiler
