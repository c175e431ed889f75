// The caching device allocator: reuse, statistics, out of memory, empty_cache. Runs only with a
// GPU (skipped otherwise).
#include "axon/cuda.h"
#include "test_utils.h"

namespace axon {
namespace {

class CudaMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU on this machine";
    cuda::synchronize();
    cuda::empty_cache();
  }
};

TEST_F(CudaMemory, FreedBlocksAreReused) {
  const size_t base_allocated = cuda::memory_allocated();
  { Tensor warm = empty({1 << 20}, TensorOptions(kCUDA)); }
  const size_t reserved = cuda::memory_reserved();
  for (int i = 0; i < 100; ++i) {
    Tensor t = empty({1 << 20}, TensorOptions(kCUDA));
    EXPECT_EQ(cuda::memory_reserved(), reserved) << "iteration " << i;
  }
  EXPECT_EQ(cuda::memory_allocated(), base_allocated);
  // The same block comes back for the same size on the same stream.
  void* first = nullptr;
  { first = empty({1 << 20}, TensorOptions(kCUDA)).data_ptr(); }
  EXPECT_EQ(empty({1 << 20}, TensorOptions(kCUDA)).data_ptr(), first);
}

TEST_F(CudaMemory, Statistics) {
  const size_t base = cuda::memory_allocated();
  cuda::reset_peak_memory_stats();
  EXPECT_EQ(cuda::max_memory_allocated(), base);
  {
    // 1000 floats = 4000 bytes, rounded to the 512-byte size class: 4096.
    Tensor small = empty({1000}, TensorOptions(kCUDA));
    EXPECT_EQ(cuda::memory_allocated(), base + 4096);
    // 3 MiB + 4 bytes rounds to the 2 MiB class: 4 MiB.
    Tensor large = empty({(3 << 20) + 4}, TensorOptions(kUInt8).device(kCUDA));
    EXPECT_EQ(cuda::memory_allocated(), base + 4096 + (4 << 20));
    EXPECT_GE(cuda::memory_reserved(), cuda::memory_allocated());
  }
  EXPECT_EQ(cuda::memory_allocated(), base);
  EXPECT_EQ(cuda::max_memory_allocated(), base + 4096 + (4 << 20));
  cuda::reset_peak_memory_stats();
  EXPECT_EQ(cuda::max_memory_allocated(), base);
}

TEST_F(CudaMemory, ZeroBytesTakeNoBlock) {
  const size_t reserved = cuda::memory_reserved();
  Tensor t = empty({0, 3}, TensorOptions(kCUDA));
  EXPECT_TRUE(t.is_cuda());
  EXPECT_EQ(cuda::memory_reserved(), reserved);
}

TEST_F(CudaMemory, OutOfMemorySaysWhatWasAskedAndHeld) {
  Tensor held = empty({1 << 20}, TensorOptions(kCUDA));
  // 2^50 bytes = 1 PiB: no GPU has it.
  EXPECT_AXON_ERROR(empty({int64_t{1} << 50}, TensorOptions(kUInt8).device(kCUDA)),
                    "CUDA out of memory: tried to allocate 1.00 PiB on cuda:");
  EXPECT_AXON_ERROR(empty({int64_t{1} << 50}, TensorOptions(kUInt8).device(kCUDA)),
                    "the allocator holds 4.00 MiB for tensors");
  // The allocator still works afterwards.
  Tensor after = empty({16}, TensorOptions(kCUDA));
  EXPECT_TRUE(after.is_cuda());
}

TEST_F(CudaMemory, EmptyCacheReleasesFreeBlocks) {
  { Tensor t = empty({1 << 22}, TensorOptions(kCUDA)); }
  EXPECT_GT(cuda::memory_reserved(), cuda::memory_allocated());
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_reserved(), cuda::memory_allocated());
}

}  // namespace
}  // namespace axon
