// Copies between the host and CUDA devices: to(), cuda(), cpu(), copy_ and pin_memory. A round
// trip moves bytes only, so every value must come back bit-identical. Runs only with a GPU
// (skipped otherwise).
#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

class CudaCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
  }
};

// -7.5, -6.5, ... as dtype: negative, fractional and (for bool) both values.
Tensor sample(DType dtype, IntArrayRef sizes = {3, 5}) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  Tensor values = arange(n, kFloat64).sub(7.5).reshape(sizes);
  return dtype == kBool ? values.gt(0) : values.to(dtype);
}

TEST_F(CudaCopy, RoundTripEveryDtype) {
  for (DType dtype : {kBool, kUInt8, kInt64, kFloat32, kFloat64}) {
    SCOPED_TRACE(::testing::PrintToString(dtype));
    Tensor x = sample(dtype);
    Tensor gpu = x.to(TensorOptions(Device(kCUDA)));
    EXPECT_TRUE(gpu.is_cuda());
    EXPECT_EQ(gpu.device(), Device(kCUDA, 0));
    EXPECT_EQ(gpu.dtype(), dtype);
    EXPECT_EQ(gpu.sizes(), x.sizes());
    Tensor back = gpu.cpu();
    EXPECT_TRUE(back.is_cpu());
    EXPECT_TRUE(equal(back, x));
    EXPECT_TRUE(equal(x.cuda().to(TensorOptions(kCPU)), x));
  }
}

TEST_F(CudaCopy, ConvertsDtypeOnTheWay) {
  Tensor x = sample(kFloat32);
  EXPECT_TRUE(equal(x.to(Device(kCUDA), kFloat64).cpu(), x.to(kFloat64)));
  Tensor gpu = x.cuda();
  EXPECT_TRUE(equal(gpu.to(kCPU, kInt64), x.to(kInt64)));
}

TEST_F(CudaCopy, NonContiguous) {
  Tensor x = sample(kFloat32, {4, 6});
  Tensor xt = x.t();
  EXPECT_TRUE(equal(xt.cuda().cpu(), xt));
  Tensor strided = x.slice(1, 0, 6, 2);
  EXPECT_TRUE(equal(strided.cuda().cpu(), strided));
  // Into a strided host destination, and from an expanded source.
  Tensor dst = zeros({6, 4}).t();
  dst.copy_(x.cuda());
  EXPECT_TRUE(equal(dst, x));
  Tensor row = sample(kFloat32, {1, 6});
  Tensor filled = empty({4, 6}, TensorOptions(kCUDA));
  filled.copy_(row);
  EXPECT_TRUE(equal(filled.cpu(), row.expand({4, 6})));
}

TEST_F(CudaCopy, ZeroSize) {
  Tensor x = empty({0, 3});
  Tensor gpu = x.cuda();
  EXPECT_TRUE(gpu.is_cuda());
  EXPECT_EQ(gpu.cpu().sizes(), x.sizes());
}

TEST_F(CudaCopy, PinnedNonBlocking) {
  Tensor x = sample(kFloat32, {256, 257});
  Tensor pinned = x.pin_memory();
  EXPECT_TRUE(pinned.is_pinned());
  EXPECT_FALSE(x.is_pinned());
  EXPECT_EQ(pinned.pin_memory().data_ptr(), pinned.data_ptr());  // already pinned: itself
  EXPECT_TRUE(equal(pinned, x));
  Tensor gpu = pinned.to(TensorOptions(kCUDA), /*non_blocking=*/true);
  Tensor host = empty_like(x).pin_memory();
  host.copy_(gpu, /*non_blocking=*/true);
  cuda::current_stream().synchronize();
  EXPECT_TRUE(equal(host, x));
  EXPECT_AXON_ERROR(gpu.pin_memory(), "only CPU tensors can be pinned");
}

TEST_F(CudaCopy, PinnedBlocksAreReusedAfterTheCopy) {
  void* first = nullptr;
  {
    Tensor pinned = sample(kFloat32, {1024}).pin_memory();
    first = pinned.data_ptr();
    Tensor gpu = pinned.to(TensorOptions(kCUDA), /*non_blocking=*/true);
    cuda::synchronize();
  }
  Tensor again = empty({1024}).pin_memory();
  EXPECT_EQ(again.data_ptr(), first);
}

TEST_F(CudaCopy, BetweenDevices) {
  if (cuda::device_count() < 2) GTEST_SKIP() << "needs two GPUs";
  Tensor x = sample(kFloat64);
  Tensor on1 = x.to(TensorOptions(Device(kCUDA, 1)));
  EXPECT_EQ(on1.device(), Device(kCUDA, 1));
  Tensor on0 = on1.to(TensorOptions(Device(kCUDA, 0)));
  EXPECT_TRUE(equal(on0.cpu(), x));
}

}  // namespace
}  // namespace axon
