// axon::cuda's device and stream API, and what a program without a GPU sees: is_available()
// false, clear axon::Errors (never a crash) for CUDA tensors, statistics of 0.
#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

class NoGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::is_available()) GTEST_SKIP() << "this machine has a GPU";
  }
};

TEST_F(NoGpu, NothingIsAvailable) {
  EXPECT_FALSE(cuda::is_available());
  EXPECT_EQ(cuda::device_count(), 0);
  EXPECT_EQ(cuda::memory_allocated(), 0u);
  EXPECT_EQ(cuda::max_memory_allocated(), 0u);
  EXPECT_EQ(cuda::memory_reserved(), 0u);
  cuda::reset_peak_memory_stats();
  cuda::empty_cache();
}

TEST_F(NoGpu, CudaTensorsAreAnError) {
  EXPECT_AXON_ERROR(zeros({2}, Device(kCUDA)), "not available");
  EXPECT_AXON_ERROR(empty({0}, Device("cuda:0")), "not available");
  EXPECT_AXON_ERROR(ones({2}).cuda(), "not available");
  EXPECT_AXON_ERROR(ones({2}).to(TensorOptions(Device(kCUDA, 1))), "not available");
  EXPECT_AXON_ERROR(ones({2}).pin_memory(), "not available");
}

TEST_F(NoGpu, DeviceCallsAreAnError) {
  EXPECT_AXON_ERROR(cuda::synchronize(), "not available");
  EXPECT_AXON_ERROR(cuda::current_device(), "not available");
  EXPECT_AXON_ERROR(cuda::set_device(0), "not available");
  EXPECT_AXON_ERROR(cuda::current_stream(), "not available");
  cuda::Event event;
  EXPECT_AXON_ERROR(event.record(), "not available");
  EXPECT_TRUE(event.query());  // never recorded
}

TEST(CudaCpuSide, CpuTensorsAreNotPinned) {
  EXPECT_FALSE(ones({4}).is_pinned());
  EXPECT_FALSE(empty({0}).is_pinned());
}

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
  }
};

TEST_F(Gpu, Devices) {
  ASSERT_GT(cuda::device_count(), 0);
  int device = cuda::current_device();
  EXPECT_GE(device, 0);
  EXPECT_LT(device, cuda::device_count());
  cuda::set_device(device);
  EXPECT_AXON_ERROR(cuda::set_device(cuda::device_count()), "out of range");
  EXPECT_AXON_ERROR(zeros({2}, Device(kCUDA, static_cast<int8_t>(cuda::device_count()))),
                    "out of range");
  cuda::synchronize();
}

TEST_F(Gpu, OneCurrentStreamPerDevice) {
  cuda::Stream a = cuda::current_stream();
  cuda::Stream b = cuda::current_stream(cuda::current_device());
  EXPECT_NE(a.handle(), nullptr);  // not the legacy default stream
  EXPECT_EQ(a.handle(), b.handle());
  EXPECT_EQ(a.device_index(), cuda::current_device());
  a.synchronize();
}

TEST_F(Gpu, EventsTimeWork) {
  cuda::Event start, end;
  EXPECT_AXON_ERROR(start.elapsed_time(end), "recorded");
  start.record();
  Tensor x = arange(1 << 20, kFloat32).cuda();
  end.record();
  end.synchronize();
  EXPECT_TRUE(end.query());
  EXPECT_GE(start.elapsed_time(end), 0.0f);
  cuda::Event untimed(/*enable_timing=*/false), other;
  untimed.record();
  other.record();
  other.synchronize();
  EXPECT_AXON_ERROR(untimed.elapsed_time(other), "enable_timing");
}

}  // namespace
}  // namespace axon
