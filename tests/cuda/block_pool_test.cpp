// The caching allocator's bookkeeping (kernels/cuda/block_pool.h): host code alone, so it runs on
// every machine. The pointers and streams are made-up addresses: nothing is allocated.
#include "kernels/cuda/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace axon::cuda_backend {
namespace {

void* address(uintptr_t n) { return reinterpret_cast<void*>(n); }

class BlockPoolTest : public ::testing::Test {
 protected:
  void* stream_a = address(0x100);
  void* stream_b = address(0x200);
  BlockPool pool;
  uintptr_t next_ptr = 0x10000;

  // A block as the allocator makes one after cudaMalloc.
  Block* fresh(PoolId id, void* stream, size_t size) {
    next_ptr += 0x10000;
    return pool.add_new(0, id, stream, size, address(next_ptr));
  }
};

TEST_F(BlockPoolTest, AFreedBlockServesTheSameStreamAndSizeClass) {
  Block* block = fresh(kGeneralPool, stream_a, 4096);
  void* ptr = block->ptr;
  pool.give_back(block);
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_b, 4096), nullptr) << "another stream";
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_a, 8192), nullptr) << "too small";
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_a, 1024), nullptr) << "over twice the request";
  Block* again = pool.take_cached(kGeneralPool, stream_a, 2048);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->ptr, ptr);
  EXPECT_EQ(pool.cached_blocks(), 0u);
  pool.give_back(again);
}

TEST_F(BlockPoolTest, TheSmallestFittingBlockIsTaken) {
  Block* big = fresh(kGeneralPool, stream_a, 8192);
  Block* small = fresh(kGeneralPool, stream_a, 5120);
  void* small_ptr = small->ptr;
  pool.give_back(big);
  pool.give_back(small);
  Block* taken = pool.take_cached(kGeneralPool, stream_a, 4096);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->ptr, small_ptr);
  pool.give_back(taken);
}

TEST_F(BlockPoolTest, APrivatePoolKeepsItsBlocksFromOtherWork) {
  const PoolId graph = 7;
  Block* captured = fresh(graph, stream_b, 4096);
  pool.give_back(captured);
  // Eager work on any stream does not get the graph's memory ...
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_b, 4096), nullptr);
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_a, 4096), nullptr);
  // ... nor does another graph's capture, nor empty_cache.
  EXPECT_EQ(pool.take_cached(8, stream_b, 4096), nullptr);
  EXPECT_TRUE(pool.take_general_cached().empty());
  // The same capture reuses it.
  Block* again = pool.take_cached(graph, stream_b, 4096);
  ASSERT_NE(again, nullptr);
  pool.give_back(again);
}

TEST_F(BlockPoolTest, AReleasedPoolJoinsTheGeneralPoolOnTheReplayStream) {
  const PoolId graph = 3;
  Block* cached = fresh(graph, stream_b, 4096);
  Block* in_use = fresh(graph, stream_b, 8192);
  void* cached_ptr = cached->ptr;
  void* in_use_ptr = in_use->ptr;
  pool.give_back(cached);
  pool.release_pool(graph, stream_a);
  Block* reused = pool.take_cached(kGeneralPool, stream_a, 4096);
  ASSERT_NE(reused, nullptr) << "the cached block moved to the general pool, on stream_a";
  EXPECT_EQ(reused->ptr, cached_ptr);
  EXPECT_EQ(reused->pool, kGeneralPool);
  // A block in use at the release joins the general pool when it is freed.
  pool.give_back(in_use);
  Block* later = pool.take_cached(kGeneralPool, stream_a, 8192);
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(later->ptr, in_use_ptr);
  EXPECT_EQ(pool.take_cached(graph, stream_b, 8192), nullptr);
  pool.give_back(reused);
  pool.give_back(later);
  // Both now count as the general pool's: empty_cache takes them.
  std::vector<Block*> released = pool.take_general_cached();
  EXPECT_EQ(released.size(), 2u);
  for (Block* block : released) delete block;
}

TEST_F(BlockPoolTest, ACaptureAdoptsCachedBlocksOfTheEagerStreamOnly) {
  const PoolId graph = 4;
  Block* eager = fresh(kGeneralPool, stream_a, 4096);
  Block* other_stream = fresh(kGeneralPool, address(0x300), 4096);
  void* eager_ptr = eager->ptr;
  pool.give_back(eager);
  pool.give_back(other_stream);
  // The capture (on stream_b) finds nothing of its own, so it adopts stream_a's block ...
  EXPECT_EQ(pool.take_cached(graph, stream_b, 4096), nullptr);
  Block* adopted = pool.adopt_cached(graph, stream_b, stream_a, 4096);
  ASSERT_NE(adopted, nullptr);
  EXPECT_EQ(adopted->ptr, eager_ptr);
  EXPECT_EQ(adopted->pool, graph);
  EXPECT_EQ(adopted->stream, stream_b);
  // ... never a block last used on a third stream.
  EXPECT_EQ(pool.adopt_cached(graph, stream_b, stream_a, 4096), nullptr);
  // Freed, it is the graph's: eager work does not get it back while the pool lives.
  pool.give_back(adopted);
  EXPECT_EQ(pool.take_cached(kGeneralPool, stream_a, 4096), nullptr);
  pool.release_pool(graph, stream_a);
  Block* back = pool.take_cached(kGeneralPool, stream_a, 4096);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->ptr, eager_ptr);
  pool.give_back(back);
}

TEST_F(BlockPoolTest, EmptyCacheTakesOnlyTheGeneralPool) {
  pool.give_back(fresh(kGeneralPool, stream_a, 512));
  pool.give_back(fresh(kGeneralPool, stream_b, 1024));
  pool.give_back(fresh(5, stream_b, 512));
  std::vector<Block*> taken = pool.take_general_cached();
  EXPECT_EQ(taken.size(), 2u);
  for (Block* block : taken) {
    EXPECT_EQ(block->pool, kGeneralPool);
    delete block;
  }
  EXPECT_EQ(pool.cached_blocks(), 1u);
}

TEST_F(BlockPoolTest, ReleasingAPoolTwiceOrTheGeneralPoolChangesNothing) {
  pool.give_back(fresh(kGeneralPool, stream_a, 512));
  pool.release_pool(kGeneralPool, stream_b);
  Block* block = pool.take_cached(kGeneralPool, stream_a, 512);
  ASSERT_NE(block, nullptr) << "still on stream_a";
  pool.release_pool(9, stream_a);
  pool.release_pool(9, stream_a);
  EXPECT_EQ(pool.cached_blocks(), 0u);
  pool.give_back(block);
}

}  // namespace
}  // namespace axon::cuda_backend
