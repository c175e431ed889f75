// The profiler (include/axon/profiler.h): kernel calls and autograd nodes recorded with their
// devices, nesting and self times, averages and their table, the chrome trace, threads, and the
// errors of a misused Profile. On CUDA, kernel calls carry device times.
#include <axon/profiler.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "scratch_dir.h"
#include "test_utils.h"

namespace axon {
namespace {

using profiler::FunctionEvent;
using profiler::Profile;
using profiler::RecordFunction;
using json = nlohmann::json;

class ProfilerTest : public testing::DeviceTest {
 protected:
  // A small convolution's forward and backward through relu and sum.
  void train_step() {
    Tensor x = randn({2, 3, 8, 8}, options());
    Tensor w = randn({4, 3, 3, 3}, options()).requires_grad_();
    relu(conv2d(x, w)).sum().backward();
  }
};

std::vector<const FunctionEvent*> named(const Profile& profile, const std::string& name) {
  std::vector<const FunctionEvent*> found;
  for (const FunctionEvent& event : profile.events()) {
    if (event.name == name) found.push_back(&event);
  }
  return found;
}

void spin_for(std::chrono::microseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
  }
}

TEST_P(ProfilerTest, RecordsKernelCallsAndBackwardNodesOnTheirDevices) {
  train_step();  // not recorded: before the profile
  EXPECT_FALSE(profiler::is_enabled());
  Profile profile;
  EXPECT_TRUE(profiler::is_enabled());
  for (int i = 0; i < 3; ++i) train_step();
  profile.stop();
  EXPECT_FALSE(profiler::is_enabled());
  train_step();  // not recorded: after the profile

  const auto conv = named(profile, "conv2d_forward_kernel");
  ASSERT_EQ(conv.size(), 3U);
  EXPECT_EQ(named(profile, "unary_kernel[Relu]").size(), 3U);
  EXPECT_EQ(named(profile, "conv2d_backward_weight_kernel").size(), 3U);
  const auto node = named(profile, "ConvolutionBackward0");
  ASSERT_EQ(node.size(), 3U);
  for (const FunctionEvent* event : conv) {
    EXPECT_EQ(event->device, device());
    EXPECT_EQ(event->parent, -1);  // the forward's kernels are called outside any scope
    EXPECT_LE(event->start_us, event->end_us);
    EXPECT_DOUBLE_EQ(event->self_cpu_us, event->cpu_us());
  }
  // The weight gradient's kernel runs inside ConvolutionBackward0's scope.
  const auto& events = profile.events();
  for (const FunctionEvent* weight_grad : named(profile, "conv2d_backward_weight_kernel")) {
    ASSERT_GE(weight_grad->parent, 0);
    EXPECT_EQ(events[weight_grad->parent].name, "ConvolutionBackward0");
  }
  for (const FunctionEvent* event : node) {
    EXPECT_EQ(event->device, Device(kCPU));
    EXPECT_LT(event->self_cpu_us, event->cpu_us());  // its kernels' time is not its own
    EXPECT_GT(event->self_cpu_us, 0.0);
  }
  if (device().is_cuda()) {
    for (const FunctionEvent* event : conv) EXPECT_GT(event->self_device_us, 0.0);
    for (const FunctionEvent* event : node) {
      EXPECT_EQ(event->self_device_us, 0.0);
      EXPECT_GT(event->device_us, 0.0);
    }
  } else {
    for (const FunctionEvent& event : events) EXPECT_EQ(event.device_us, 0.0) << event.name;
  }
}

TEST_P(ProfilerTest, NestedScopesSplitTheirTimeIntoSelfAndChildren) {
  Profile profile;
  {
    RecordFunction outer("outer");
    spin_for(std::chrono::microseconds(2000));
    {
      RecordFunction inner("inner");
      spin_for(std::chrono::microseconds(3000));
      Tensor y = ones({16}, options()) * 2.0;
    }
  }
  profile.stop();
  const auto outer = named(profile, "outer");
  const auto inner = named(profile, "inner");
  const auto mul = named(profile, "binary_kernel[Mul]");
  ASSERT_EQ(outer.size(), 1U);
  ASSERT_EQ(inner.size(), 1U);
  ASSERT_EQ(mul.size(), 1U);
  const auto& events = profile.events();
  EXPECT_EQ(&events[inner[0]->parent], outer[0]);
  EXPECT_EQ(&events[mul[0]->parent], inner[0]);
  EXPECT_GE(inner[0]->cpu_us(), 3000.0);
  EXPECT_GE(outer[0]->cpu_us(), inner[0]->cpu_us() + 2000.0);
  EXPECT_NEAR(outer[0]->self_cpu_us, outer[0]->cpu_us() - inner[0]->cpu_us(), 1e-6);
  double inner_children_us = 0;  // the multiplication and the kernels that made its input
  for (const FunctionEvent& event : events) {
    if (event.parent >= 0 && &events[event.parent] == inner[0]) inner_children_us += event.cpu_us();
  }
  EXPECT_GE(inner_children_us, mul[0]->cpu_us());
  EXPECT_NEAR(inner[0]->self_cpu_us, inner[0]->cpu_us() - inner_children_us, 1e-6);
  EXPECT_GE(outer[0]->start_us, 0.0);
  EXPECT_LE(outer[0]->start_us, inner[0]->start_us);
  EXPECT_LE(inner[0]->end_us, outer[0]->end_us);
}

// Only scopes whose times the test sets: kernel calls' times vary (a first call may include a
// JIT's work), and they are sorted like any other row.
TEST_P(ProfilerTest, KeyAveragesSumPerNameAndSortLargestFirst) {
  Profile profile;
  for (int i = 0; i < 4; ++i) {
    RecordFunction slow("slow");
    spin_for(std::chrono::microseconds(3000));
  }
  {
    RecordFunction middle("middle");
    spin_for(std::chrono::microseconds(5000));
  }
  { RecordFunction fast("fast"); }
  profile.stop();

  const auto by_count = profile.key_averages("count");
  ASSERT_EQ(by_count.size(), 3U);
  EXPECT_EQ(by_count[0].name, "slow");
  EXPECT_EQ(by_count[1].name, "middle");  // ties keep the order of first appearance
  EXPECT_EQ(by_count[2].name, "fast");
  const auto averages = profile.key_averages("cpu_time_total");
  ASSERT_EQ(averages.size(), 3U);
  EXPECT_EQ(averages[0].name, "slow");  // 12 ms against 5 ms against nothing
  EXPECT_EQ(averages[1].name, "middle");
  const auto& slow = averages[0];
  EXPECT_EQ(slow.count, 4);
  double slow_total = 0;
  for (const FunctionEvent* event : named(profile, "slow")) slow_total += event->cpu_us();
  EXPECT_DOUBLE_EQ(slow.cpu_time_total_us, slow_total);
  EXPECT_DOUBLE_EQ(slow.self_cpu_time_total_us, slow_total);
  EXPECT_GE(slow.cpu_time_total_us, 12000.0);
  EXPECT_EQ(slow.device_time_total_us, 0.0);

  const std::string table = profile.table("self_cpu_time_total", 2);
  EXPECT_NE(table.find("Self CPU"), std::string::npos) << table;
  EXPECT_NE(table.find("slow"), std::string::npos) << table;
  EXPECT_NE(table.find("middle"), std::string::npos) << table;
  EXPECT_EQ(table.find("fast"), std::string::npos) << table;  // past the row limit
  EXPECT_NE(table.find("Self CPU time total:"), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4);  // header, 2 rows, total
  EXPECT_NE(profile.table().find("fast"), std::string::npos);
}

TEST_P(ProfilerTest, RecordShapesTellsTheCallsOfOneKernelApart) {
  Tensor x = randn({2, 3, 8, 8}, options());
  Tensor w1 = randn({4, 3, 3, 3}, options()), w2 = randn({5, 4, 3, 3}, options());
  Tensor b2 = randn({5}, options());
  auto two_convolutions = [&] { return conv2d(conv2d(x, w1), w2, b2); };
  {
    Profile plain;
    two_convolutions();
    plain.stop();
    for (const FunctionEvent& event : plain.events()) EXPECT_TRUE(event.input_shapes.empty());
  }
  Profile profile({.record_shapes = true});
  for (int i = 0; i < 2; ++i) two_convolutions();
  profile.stop();
  using Shapes = std::vector<std::vector<int64_t>>;
  // The kernel's tensor arguments: out, input, weight, bias (none: []).
  const Shapes first = {{2, 4, 6, 6}, {2, 3, 8, 8}, {4, 3, 3, 3}, {}};
  const Shapes second = {{2, 5, 4, 4}, {2, 4, 6, 6}, {5, 4, 3, 3}, {5}};
  const auto conv = named(profile, "conv2d_forward_kernel");
  ASSERT_EQ(conv.size(), 4U);
  EXPECT_EQ(conv[0]->input_shapes, first);
  EXPECT_EQ(conv[1]->input_shapes, second);

  auto conv_rows = [&](bool by_shape) {
    std::vector<profiler::FunctionEventAvg> rows;
    for (const auto& avg : profile.key_averages("count", by_shape)) {
      if (avg.name == "conv2d_forward_kernel") rows.push_back(avg);
    }
    return rows;
  };
  const auto merged = conv_rows(false);
  ASSERT_EQ(merged.size(), 1U);
  EXPECT_EQ(merged[0].count, 4);
  EXPECT_TRUE(merged[0].input_shapes.empty());
  const auto split = conv_rows(true);
  ASSERT_EQ(split.size(), 2U);
  EXPECT_EQ(split[0].count, 2);
  EXPECT_EQ(split[1].count, 2);
  EXPECT_EQ(split[0].input_shapes, first);  // equal counts keep the order of first appearance
  EXPECT_EQ(split[1].input_shapes, second);
  const std::string table = profile.table("count", -1, true);
  EXPECT_NE(table.find("Input shapes"), std::string::npos) << table;
  EXPECT_NE(table.find("[[2, 5, 4, 4], [2, 4, 6, 6], [5, 4, 3, 3], [5]]"), std::string::npos)
      << table;
  EXPECT_EQ(profile.table().find("Input shapes"), std::string::npos);
}

TEST_P(ProfilerTest, ChromeTraceHoldsEveryEvent) {
  testing::ScratchDir dir;
  Profile profile({.record_shapes = true});
  train_step();
  profile.stop();
  profile.export_chrome_trace(dir.file("trace.json"));
  std::ifstream file(dir.file("trace.json"));
  const json trace = json::parse(file);
  const auto& events = profile.events();
  size_t host = 0, on_device = 0, with_shapes = 0;
  for (const json& entry : trace.at("traceEvents")) {
    EXPECT_EQ(entry.at("ph"), "X");
    if (entry.at("cat") == "host") {
      const FunctionEvent& event = events.at(host++);
      EXPECT_EQ(entry.at("name"), event.name);
      EXPECT_DOUBLE_EQ(entry.at("ts").get<double>(), event.start_us);
      EXPECT_DOUBLE_EQ(entry.at("dur").get<double>(), event.cpu_us());
      if (event.input_shapes.empty()) {
        EXPECT_FALSE(entry.at("args").contains("input_shapes")) << event.name;
      } else {
        EXPECT_EQ(entry.at("args").at("input_shapes"), json(event.input_shapes)) << event.name;
        ++with_shapes;
      }
    } else {
      ++on_device;
    }
  }
  EXPECT_EQ(host, events.size());
  EXPECT_GE(with_shapes, 2U);  // the convolution's forward and weight gradient at least
  const auto timed = std::count_if(events.begin(), events.end(),
                                   [](const auto& event) { return event.self_device_us > 0; });
  EXPECT_EQ(on_device, static_cast<size_t>(timed));
  EXPECT_EQ(timed > 0, device().is_cuda());
  EXPECT_THROW(profile.export_chrome_trace(dir.file("no/such/folder/trace.json")), Error);
}

TEST(ProfilerThreads, EachThreadNestsItsOwnScopes) {
  Profile profile;
  {
    RecordFunction main_scope("main");
    std::thread worker([] {
      RecordFunction scope("worker");
      Tensor y = ones({8}) + 1.0;
    });
    worker.join();
  }
  profile.stop();
  const auto& events = profile.events();
  const auto main_scope = named(profile, "main");
  const auto worker = named(profile, "worker");
  const auto add = named(profile, "binary_kernel[Add]");
  ASSERT_EQ(main_scope.size(), 1U);
  ASSERT_EQ(worker.size(), 1U);
  ASSERT_EQ(add.size(), 1U);
  EXPECT_NE(worker[0]->thread, main_scope[0]->thread);
  EXPECT_EQ(worker[0]->parent, -1);  // not inside the main thread's scope
  EXPECT_EQ(&events[add[0]->parent], worker[0]);
  EXPECT_EQ(add[0]->thread, worker[0]->thread);
}

TEST(ProfilerErrors, OneProfileAtATimeAndReadOnlyWhenStopped) {
  Profile first;
  try {
    Profile second;
    FAIL() << "a second Profile started while one records";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another Profile is recording"), std::string::npos);
  }
  EXPECT_TRUE(profiler::is_enabled());  // the failed second did not stop the first
  try {
    (void)first.events();
    FAIL() << "events() of a recording profile";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("call stop()"), std::string::npos);
  }
  EXPECT_THROW((void)first.table(), Error);
  first.stop();
  first.stop();  // again: nothing
  try {
    (void)first.key_averages("cuda_time");
    FAIL() << "an unknown sort key";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'cuda_time'"), std::string::npos);
  }
  Profile next;  // the first has stopped
  EXPECT_TRUE(profiler::is_enabled());
}

TEST(ProfilerErrors, ScopesOpenAtStopEndThere) {
  Profile profile;
  auto open = std::make_unique<RecordFunction>("open");
  profile.stop();
  open.reset();  // ends after the stop: changes nothing
  const auto events = named(profile, "open");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_GE(events[0]->end_us, events[0]->start_us);
  EXPECT_DOUBLE_EQ(events[0]->self_cpu_us, events[0]->cpu_us());
  RecordFunction unrecorded("unrecorded");  // no profile: nothing
  EXPECT_TRUE(named(profile, "unrecorded").empty());
}

AXON_INSTANTIATE_DEVICE_TEST(ProfilerTest);

}  // namespace
}  // namespace axon
