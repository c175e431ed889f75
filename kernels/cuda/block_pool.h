#pragma once
// The caching device allocator's bookkeeping (kernels/cuda/caching_allocator.cpp), apart from its
// CUDA calls so that the CPU tests cover it: which cached block a request may take, and to whom a
// freed block belongs. Not thread-safe: the allocator holds its lock around every call.
//
// Blocks belong to a pool. Pool 0 is the device's general pool; a CUDA graph's capture takes its
// blocks from a private pool of its own (Note [CUDA graphs] in kernels/cuda/graph.cpp), because
// every replay of the graph writes to the addresses the capture used: while the graph lives, no
// other work may be handed that memory. A freed block goes back to its own pool. When the graph
// releases its pool, the pool's cached blocks join the general pool, and so do its blocks still
// in use once they are freed.

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace axon::cuda_backend {

using PoolId = uint64_t;
constexpr PoolId kGeneralPool = 0;

struct Block {
  int device;
  PoolId pool;
  void* stream;  // a cudaStream_t: the stream the block was last handed out on
  size_t size;
  void* ptr;
};

class BlockPool {
 public:
  BlockPool() = default;
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  ~BlockPool() {
    for (Block* block : free_) delete block;
  }

  // A cached block of `pool`, last used on `stream`, of at least `size` bytes and at most twice
  // that (the smallest such); nullptr when there is none. Reuse on the same stream needs no
  // synchronisation: work queued later on that stream runs after the work that used the block.
  Block* take_cached(PoolId pool, void* stream, size_t size) {
    Block key{0, pool, stream, size, nullptr};
    auto it = free_.lower_bound(&key);
    if (it == free_.end() || (*it)->pool != pool || (*it)->stream != stream ||
        (*it)->size > 2 * size) {
      return nullptr;
    }
    Block* block = *it;
    free_.erase(it);
    ++live_[pool];
    return block;
  }

  // For a capture whose own pool has no block of the size: a cached general block last used on
  // `eager_stream` becomes the capture's pool's, on `capture_stream`; nullptr when there is none.
  // Safe: the graph replays on `eager_stream`, after the work that used the block, and no eager
  // work is handed it again while the pool lives. So a new capture, after a reset one's blocks
  // joined the general pool, reuses them instead of taking new memory from the driver.
  Block* adopt_cached(PoolId pool, void* capture_stream, void* eager_stream, size_t size) {
    Block* block = take_cached(kGeneralPool, eager_stream, size);
    if (block == nullptr) return nullptr;
    auto live = live_.find(kGeneralPool);
    if (--live->second == 0) live_.erase(live);
    ++live_[pool];
    block->pool = pool;
    block->stream = capture_stream;
    return block;
  }

  // A block fresh from cudaMalloc, handed out now.
  Block* add_new(int device, PoolId pool, void* stream, size_t size, void* ptr) {
    ++live_[pool];
    return new Block{device, pool, stream, size, ptr};
  }

  // A block no tensor uses any more. A released pool's block joins the general pool, on the
  // stream its pool's blocks were released to.
  void give_back(Block* block) {
    const PoolId pool = block->pool;
    auto live = live_.find(pool);
    if (live != live_.end() && --live->second == 0) live_.erase(live);
    auto released = released_.find(pool);
    if (released != released_.end()) {
      block->pool = kGeneralPool;
      block->stream = released->second;
      if (!live_.contains(pool)) released_.erase(released);
    }
    free_.insert(block);
  }

  // The pool's graph is gone: its cached blocks join the general pool as blocks last used on
  // `stream` (the stream its replays ran on), now, and its blocks in use when they come back.
  void release_pool(PoolId pool, void* stream) {
    if (pool == kGeneralPool) return;
    for (Block* block : take_all_cached(pool)) {
      block->pool = kGeneralPool;
      block->stream = stream;
      free_.insert(block);
    }
    if (live_.contains(pool)) released_[pool] = stream;
  }

  // Takes the general pool's cached blocks out, for the caller to return to the driver. Private
  // pools keep theirs: their graphs may still replay into them.
  std::vector<Block*> take_general_cached() { return take_all_cached(kGeneralPool); }

  size_t cached_blocks() const { return free_.size(); }

 private:
  // Takes `pool`'s cached blocks off the free set.
  std::vector<Block*> take_all_cached(PoolId pool) {
    std::vector<Block*> taken;
    for (auto it = free_.begin(); it != free_.end();) {
      if ((*it)->pool == pool) {
        taken.push_back(*it);
        it = free_.erase(it);
      } else {
        ++it;
      }
    }
    return taken;
  }

  struct Order {
    bool operator()(const Block* a, const Block* b) const {
      return std::tie(a->pool, a->stream, a->size, a->ptr) <
             std::tie(b->pool, b->stream, b->size, b->ptr);
    }
  };

  std::set<Block*, Order> free_;
  std::map<PoolId, int64_t> live_;        // blocks handed out and not yet given back, per pool
  std::map<PoolId, void*> released_;      // released pools with blocks still in use
};

}  // namespace axon::cuda_backend
