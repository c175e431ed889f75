// The profiler (include/axon/profiler.h). A recording session appends one FunctionEvent per
// scope under a mutex; scopes nest per thread through a thread-local "innermost open scope".
// Self times and device times are worked out once, in stop(): an event's children always come
// after it in the list (they begin later, on its thread), so one backward pass sums them.
#include "axon/profiler.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "axon/cuda.h"
#include "axon/error.h"
#include "core/profiling.h"

namespace axon {
namespace detail {
std::atomic<bool> g_profiler_recording{false};
std::atomic<bool> g_profiler_records_shapes{false};
}  // namespace detail

namespace profiler {
namespace {
using Clock = std::chrono::steady_clock;

// A kernel call on a CUDA device: events before and after it on the device's current stream.
struct DeviceTiming {
  int64_t event = 0;
  cuda::Event start, end;
  bool ended = false;
};

std::mutex g_active_mutex;
std::shared_ptr<Profile::Session> g_active;  // the recording session, if any

thread_local const Profile::Session* t_session = nullptr;
thread_local int64_t t_innermost = -1;  // this thread's innermost open scope in t_session
thread_local int t_open_kernels = 0;    // kernel scopes open on this thread in t_session

std::shared_ptr<Profile::Session> active_session() {
  std::lock_guard lock(g_active_mutex);
  return g_active;
}

}  // namespace

struct Profile::Session {
  std::mutex mutex;
  Clock::time_point origin = Clock::now();
  std::vector<FunctionEvent> events;
  std::vector<int64_t> timing_of;  // per event: its index in device_timings, or -1
  std::vector<DeviceTiming> device_timings;
  std::unordered_map<std::thread::id, int64_t> threads;
  bool stopped = false;

  double now_us() const {
    return std::chrono::duration<double, std::micro>(Clock::now() - origin).count();
  }

  // Opens a scope on this thread. Kernel calls on a CUDA device are timed on its stream too,
  // unless inside another kernel call (whose time has theirs) or a graph capture (nothing runs).
  int64_t begin(std::string name, Device device, bool kernel) {
    if (t_session != this) {
      t_session = this;
      t_innermost = -1;
      t_open_kernels = 0;
    }
    std::optional<DeviceTiming> timing;
    if (kernel && device.is_cuda() && t_open_kernels == 0 && !cuda::is_current_stream_capturing()) {
      timing.emplace();
      timing->start.record(cuda::current_stream(device.index()));
    }
    std::lock_guard lock(mutex);
    if (stopped) return -1;
    const auto index = static_cast<int64_t>(events.size());
    FunctionEvent& event = events.emplace_back();
    event.name = std::move(name);
    event.device = device;
    event.thread = threads.try_emplace(std::this_thread::get_id(), threads.size()).first->second;
    event.parent = t_innermost;
    event.end_us = -1;  // open
    timing_of.push_back(timing ? static_cast<int64_t>(device_timings.size()) : -1);
    if (timing) {
      timing->event = index;
      device_timings.push_back(std::move(*timing));
    }
    t_innermost = index;
    if (kernel) ++t_open_kernels;
    event.start_us = now_us();
    return index;
  }

  void end(int64_t index, bool kernel) {
    const double end_us = now_us();
    std::lock_guard lock(mutex);
    if (stopped || t_session != this) return;
    FunctionEvent& event = events[index];
    event.end_us = end_us;
    t_innermost = event.parent;
    if (kernel) --t_open_kernels;
    if (timing_of[index] >= 0) {
      DeviceTiming& timing = device_timings[timing_of[index]];
      timing.end.record(cuda::current_stream(event.device.index()));
      timing.ended = true;
    }
  }

  void set_input_shapes(int64_t index, std::vector<std::vector<int64_t>> shapes) {
    std::lock_guard lock(mutex);
    if (!stopped) events[index].input_shapes = std::move(shapes);
  }

  // Ends recording: open scopes end now; self and device times are summed up.
  void finish() {
    std::lock_guard lock(mutex);
    if (stopped) return;
    stopped = true;
    const double stop_us = now_us();
    std::vector<double> children_us(events.size(), 0.0);
    for (auto& event : events) {
      if (event.end_us < 0) event.end_us = stop_us;
      if (event.parent >= 0) children_us[event.parent] += event.cpu_us();
    }
    // Device times, each device's first timed call the anchor of its calls' device starts.
    std::map<int, const DeviceTiming*> anchor;
    for (const DeviceTiming& timing : device_timings) {
      if (!timing.ended) continue;
      FunctionEvent& event = events[timing.event];
      timing.end.synchronize();
      event.self_device_us = 1000.0 * timing.start.elapsed_time(timing.end);
      const DeviceTiming* first = anchor.try_emplace(event.device.index(), &timing).first->second;
      event.device_start_us =
          events[first->event].start_us + 1000.0 * first->start.elapsed_time(timing.start);
    }
    for (size_t i = events.size(); i-- > 0;) {
      FunctionEvent& event = events[i];
      event.self_cpu_us = event.cpu_us() - children_us[i];
      event.device_us += event.self_device_us;
      if (event.parent >= 0) events[event.parent].device_us += event.device_us;
    }
  }
};

namespace {

// The sort keys of key_averages(), PyTorch's names for the device columns included.
double sort_value(const FunctionEventAvg& avg, std::string_view key) {
  if (key == "cpu_time_total") return avg.cpu_time_total_us;
  if (key == "self_cpu_time_total") return avg.self_cpu_time_total_us;
  if (key == "device_time_total" || key == "cuda_time_total") return avg.device_time_total_us;
  if (key == "self_device_time_total" || key == "self_cuda_time_total") {
    return avg.self_device_time_total_us;
  }
  if (key == "count") return static_cast<double>(avg.count);
  AXON_ERROR(
      "Profile::key_averages: unknown sort key '{}'; expected cpu_time_total, "
      "self_cpu_time_total, device_time_total, self_device_time_total (or cuda_time_total, "
      "self_cuda_time_total) or count",
      key);
}

// PyTorch's way: microseconds below a millisecond, milliseconds below a second.
std::string format_time(double us) {
  if (us >= 1e6) return fmt::format("{:.3f}s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.3f}ms", us / 1e3);
  return fmt::format("{:.3f}us", us);
}

}  // namespace

Profile::Profile(ProfileOptions options) : session_(std::make_shared<Session>()) {
  std::lock_guard lock(g_active_mutex);
  AXON_CHECK(g_active == nullptr,
             "profiler::Profile: another Profile is recording; stop it first (one at a time)");
  g_active = session_;
  detail::g_profiler_records_shapes.store(options.record_shapes, std::memory_order_relaxed);
  detail::g_profiler_recording.store(true, std::memory_order_relaxed);
}

Profile::~Profile() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor may not throw; stop() reports
  }
}

void Profile::stop() {
  {
    std::lock_guard lock(g_active_mutex);
    if (g_active == session_) {
      g_active = nullptr;
      detail::g_profiler_recording.store(false, std::memory_order_relaxed);
      detail::g_profiler_records_shapes.store(false, std::memory_order_relaxed);
    }
  }
  session_->finish();
}

const std::vector<FunctionEvent>& Profile::events() const {
  std::lock_guard lock(session_->mutex);
  AXON_CHECK(session_->stopped,
             "profiler::Profile: the profile is still recording; call stop() before reading it");
  return session_->events;
}

std::vector<FunctionEventAvg> Profile::key_averages(std::string_view sort_by,
                                                    bool group_by_input_shape) const {
  using Shapes = std::vector<std::vector<int64_t>>;
  std::vector<FunctionEventAvg> averages;
  std::map<std::tuple<std::string, DeviceType, int, Shapes>, size_t> row_of;
  for (const FunctionEvent& event : events()) {
    const Shapes& shapes = group_by_input_shape ? event.input_shapes : Shapes{};
    auto [it, added] = row_of.try_emplace(
        {event.name, event.device.type(), event.device.index(), shapes}, averages.size());
    if (added) {
      averages.push_back({.name = event.name, .device = event.device, .input_shapes = shapes});
    }
    FunctionEventAvg& avg = averages[it->second];
    ++avg.count;
    avg.cpu_time_total_us += event.cpu_us();
    avg.self_cpu_time_total_us += event.self_cpu_us;
    avg.device_time_total_us += event.device_us;
    avg.self_device_time_total_us += event.self_device_us;
  }
  sort_value(FunctionEventAvg{}, sort_by);  // an unknown key is an error even with no events
  std::stable_sort(averages.begin(), averages.end(), [&](const auto& a, const auto& b) {
    return sort_value(a, sort_by) > sort_value(b, sort_by);
  });
  return averages;
}

std::string Profile::table(std::string_view sort_by, int64_t row_limit,
                           bool group_by_input_shape) const {
  const std::vector<FunctionEventAvg> averages = key_averages(sort_by, group_by_input_shape);
  double self_cpu_total = 0, self_device_total = 0;
  size_t name_width = 4;
  for (const auto& avg : averages) {
    self_cpu_total += avg.self_cpu_time_total_us;
    self_device_total += avg.self_device_time_total_us;
    name_width = std::max(name_width, avg.name.size());
  }
  const bool device_columns = self_device_total > 0;
  std::string out = fmt::format("{:<{}}  {:<7}  {:>12}  {:>6}  {:>12}", "Name", name_width,
                                "Device", "Self CPU", "%", "CPU total");
  if (device_columns)
    out += fmt::format("  {:>12}  {:>6}  {:>12}", "Self device", "%", "Device total");
  out += fmt::format("  {:>7}  {:>12}{}\n", "Calls", "CPU avg",
                     group_by_input_shape ? "  Input shapes" : "");
  const size_t rows =
      row_limit < 0 ? averages.size() : std::min(averages.size(), static_cast<size_t>(row_limit));
  auto percent = [](double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; };
  for (size_t i = 0; i < rows; ++i) {
    const auto& avg = averages[i];
    out += fmt::format("{:<{}}  {:<7}  {:>12}  {:>5.1f}%  {:>12}", avg.name, name_width,
                       avg.device.str(), format_time(avg.self_cpu_time_total_us),
                       percent(avg.self_cpu_time_total_us, self_cpu_total),
                       format_time(avg.cpu_time_total_us));
    if (device_columns) {
      out += fmt::format("  {:>12}  {:>5.1f}%  {:>12}", format_time(avg.self_device_time_total_us),
                         percent(avg.self_device_time_total_us, self_device_total),
                         format_time(avg.device_time_total_us));
    }
    out += fmt::format("  {:>7}  {:>12}", avg.count,
                       format_time(avg.cpu_time_total_us / static_cast<double>(avg.count)));
    out += group_by_input_shape ? fmt::format("  {}\n", avg.input_shapes) : "\n";
  }
  out += fmt::format("Self CPU time total: {}\n", format_time(self_cpu_total));
  if (device_columns)
    out += fmt::format("Self device time total: {}\n", format_time(self_device_total));
  return out;
}

void Profile::export_chrome_trace(const std::string& path) const {
  using nlohmann::json;
  // A complete ("X") event: host scopes in process 0 by thread, device times in 1 by device.
  auto complete = [](const FunctionEvent& event, int pid, json tid, double ts, double dur) {
    return json{{"name", event.name}, {"ph", "X"},  {"cat", pid == 0 ? "host" : "device"},
                {"pid", pid},         {"tid", tid}, {"ts", ts},
                {"dur", dur}};
  };
  json trace = json::array();
  for (const FunctionEvent& event : events()) {
    trace.push_back(complete(event, 0, event.thread, event.start_us, event.cpu_us()));
    trace.back()["args"]["device"] = event.device.str();
    if (!event.input_shapes.empty()) trace.back()["args"]["input_shapes"] = event.input_shapes;
    if (event.self_device_us > 0) {
      trace.push_back(
          complete(event, 1, event.device.str(), event.device_start_us, event.self_device_us));
    }
  }
  std::ofstream file(path);
  AXON_CHECK(file.good(), "Profile::export_chrome_trace: cannot write '{}'", path);
  file << json{{"traceEvents", std::move(trace)}}.dump() << '\n';
  file.close();
  AXON_CHECK(!file.fail(), "Profile::export_chrome_trace: writing '{}' failed", path);
}

RecordFunction::RecordFunction(std::string_view name) {
  if (!detail::profiler_recording()) return;
  session_ = active_session();
  if (session_ != nullptr) index_ = session_->begin(std::string(name), kCPU, false);
}

RecordFunction::~RecordFunction() {
  if (index_ >= 0) session_->end(index_, false);
}

bool is_enabled() { return detail::profiler_recording(); }

}  // namespace profiler

namespace detail {

void KernelScope::set_input_shapes(std::vector<std::vector<int64_t>> shapes) {
  if (index_ >= 0) session_->set_input_shapes(index_, std::move(shapes));
}

KernelScope::KernelScope(std::string name, Device device) : session_(profiler::active_session()) {
  if (session_ != nullptr) index_ = session_->begin(std::move(name), device, true);
}

KernelScope::~KernelScope() {
  if (index_ < 0) return;
  try {
    session_->end(index_, true);
  } catch (...) {  // NOLINT(bugprone-empty-catch): recording the end event failed; the call
  }                // stays without a device time
}

}  // namespace detail
}  // namespace axon
