#pragma once
// Warp and block reductions, and the driver that reduces the middle dim of [outer, size, inner]
// with them: shared by the CUDA reduction, softmax and loss kernels.
//
// A reduction is an Op with a state type S (static identity() and an associative combine(a, b),
// as in kernels/common/reduce_ops.h), read through a Source and written through a Sink:
//   S Source::at(int64_t offset, int64_t j) const   the state of the element at flat `offset`,
//                                                   which is `j` along the reduced dim
//   void Sink::put(int64_t k, S state) const        stores output k = o * inner + i
//
// Note [CUDA reduction layouts]: inner == 1 with rows of at least a warp gives each row a block
// (coalesced loads, warp shuffles, then shared memory across warps); otherwise each output gets
// a thread that walks its column, consecutive threads on consecutive `inner` elements, so loads
// coalesce. When the outputs alone cannot fill the GPU, each run of `size` is split into chunks:
// a first pass writes one partial state per chunk to a scratch tensor ([outputs, chunks]) and a
// second pass reduces those rows. The split depends only on the shape, never on the GPU, so a
// result is the same on every device and every run.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "axon/functions.h"
#include "kernels/common/reduce.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/runtime.h"

namespace axon::cuda_backend {

constexpr int kWarpSize = 32;
constexpr int kMaxRowThreads = 512;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int64_t kMaxBlocks = 1 << 16;  // grid-stride loops cover the rest

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for `units` units of `per_block` each, capped.
inline unsigned grid_size(int64_t units, int64_t per_block = 1) {
  return static_cast<unsigned>(std::min(ceil_div(units, per_block), kMaxBlocks));
}

// Shuffles any trivially copyable state down the warp, one 32-bit word at a time.
template <typename S>
__device__ __forceinline__ S shfl_down(S value, int offset) {
  if constexpr (sizeof(S) < sizeof(int)) {
    return static_cast<S>(__shfl_down_sync(kFullMask, static_cast<int>(value), offset));
  } else {
    static_assert(sizeof(S) % sizeof(int) == 0, "reduction states are whole 32-bit words");
    int words[sizeof(S) / sizeof(int)];
    memcpy(words, &value, sizeof(S));
    for (int& word : words) word = __shfl_down_sync(kFullMask, word, offset);
    memcpy(&value, words, sizeof(S));
    return value;
  }
}

// The warp's combined state, in lane 0. Every lane of the warp must take part.
template <typename Op, typename S>
__device__ __forceinline__ S warp_reduce(S value) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    value = Op::combine(value, shfl_down(value, offset));
  }
  return value;
}

// The block's combined state, in thread 0. blockDim.x must be a multiple of the warp size, and
// every thread must call it (it synchronises).
template <typename Op, typename S>
__device__ S block_reduce(S value) {
  __shared__ S warp_states[kWarpSize];
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  value = warp_reduce<Op>(value);
  if (lane == 0) warp_states[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < static_cast<int>(blockDim.x) / kWarpSize ? warp_states[lane] : Op::identity();
    value = warp_reduce<Op>(value);
  }
  __syncthreads();  // warp_states is free for the next call
  return value;
}

// block_reduce's result, in every thread.
template <typename Op, typename S>
__device__ S block_all_reduce(S value) {
  __shared__ S result;
  value = block_reduce<Op>(value);
  if (threadIdx.x == 0) result = value;
  __syncthreads();
  value = result;
  __syncthreads();
  return value;
}

// One block per segment; segment `seg` is chunk seg % chunks of row seg / chunks.
template <typename Op, typename Source, typename Sink>
__global__ void reduce_rows_kernel(Source source, Sink sink, int64_t segments, int64_t size,
                                   int64_t chunks, int64_t chunk_len) {
  for (int64_t seg = blockIdx.x; seg < segments; seg += gridDim.x) {
    const int64_t row = seg / chunks;
    const int64_t begin = seg % chunks * chunk_len;
    const int64_t end = std::min(size, begin + chunk_len);
    auto state = Op::identity();
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x) {
      state = Op::combine(state, source.at(row * size + j, j));
    }
    state = block_reduce<Op>(state);
    if (threadIdx.x == 0) sink.put(seg, state);
  }
}

// One thread per (o, chunk, i); output (o * inner + i) * chunks + chunk.
template <typename Op, typename Source, typename Sink>
__global__ void reduce_columns_kernel(Source source, Sink sink, int64_t outer, int64_t size,
                                      int64_t inner, int64_t chunks, int64_t chunk_len) {
  const int64_t total = outer * chunks * inner;
  for (int64_t t = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; t < total;
       t += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = t % inner, rest = t / inner;
    const int64_t chunk = rest % chunks, o = rest / chunks;
    const int64_t begin = chunk * chunk_len;
    const int64_t end = std::min(size, begin + chunk_len);
    auto state = Op::identity();
    for (int64_t j = begin; j < end; ++j) {
      state = Op::combine(state, source.at((o * size + j) * inner + i, j));
    }
    sink.put((o * inner + i) * chunks + chunk, state);
  }
}

template <typename S>
struct PartialSink {
  S* data;
  __device__ void put(int64_t k, S state) const { data[k] = state; }
};

template <typename S>
struct PartialSource {
  const S* data;
  __device__ S at(int64_t offset, int64_t) const { return data[offset]; }
};

// A power of two from a warp to kMaxRowThreads, about one thread per element.
inline int row_threads(int64_t len) {
  int threads = kWarpSize;
  while (threads < kMaxRowThreads && threads < len) threads *= 2;
  return threads;
}

template <typename Op, typename Source, typename Sink>
void launch_rows(const Source& source, const Sink& sink, int64_t rows, int64_t size,
                 int64_t chunks) {
  const int64_t chunk_len = ceil_div(size, chunks);
  reduce_rows_kernel<Op><<<grid_size(rows * chunks), row_threads(chunk_len), 0, current_stream()>>>(
      source, sink, rows * chunks, size, chunks, chunk_len);
  AXON_CUDA_LAUNCH_CHECK();
}

constexpr int kColumnThreads = 256;

template <typename Op, typename Source, typename Sink>
void launch_columns(const Source& source, const Sink& sink, const kernels::ReduceShape& s,
                    int64_t chunks) {
  const int64_t chunk_len = ceil_div(s.size, chunks);
  reduce_columns_kernel<Op>
      <<<grid_size(s.outer * chunks * s.inner, kColumnThreads), kColumnThreads, 0,
         current_stream()>>>(source, sink, s.outer, s.size, s.inner, chunks, chunk_len);
  AXON_CUDA_LAUNCH_CHECK();
}

// Chunks per run of `size` so that `outputs` runs give about `target` units of work, each chunk
// at least `min_chunk` long (see Note [CUDA reduction layouts]).
inline int64_t chunk_count(int64_t outputs, int64_t size, int64_t target, int64_t min_chunk) {
  if (outputs >= target || size < 2 * min_chunk) return 1;
  return std::min(ceil_div(size, min_chunk), ceil_div(target, outputs));
}

constexpr int64_t kRowTargetBlocks = 1024, kRowMinChunk = 8192;
constexpr int64_t kColumnTargetThreads = 1 << 18, kColumnMinChunk = 256;

// Reduces the middle dim of [outer, size, inner] (Note [CUDA reduction layouts]) on the current
// stream; `device` is where scratch goes. A zero `size` gives every output the identity.
template <typename Op, typename Source, typename Sink>
void reduce_middle_dim(const Source& source, const Sink& sink, const kernels::ReduceShape& s,
                       Device device) {
  using S = decltype(Op::identity());
  const int64_t outputs = s.outer * s.inner;
  if (outputs == 0) return;
  const bool rows = s.inner == 1 && s.size >= kWarpSize;
  const int64_t chunks = rows ? chunk_count(outputs, s.size, kRowTargetBlocks, kRowMinChunk)
                              : chunk_count(outputs, s.size, kColumnTargetThreads, kColumnMinChunk);
  if (chunks == 1) {
    if (rows) {
      launch_rows<Op>(source, sink, outputs, s.size, 1);
    } else {
      launch_columns<Op>(source, sink, s, 1);
    }
    return;
  }
  // The scratch is freed when this returns; the caching allocator hands it out again only to
  // work queued after these kernels on the same stream.
  const Tensor scratch = empty({outputs * chunks * static_cast<int64_t>(sizeof(S))},
                               TensorOptions(kUInt8).device(device));
  auto* partial = static_cast<S*>(scratch.data_ptr());
  if (rows) {
    launch_rows<Op>(source, PartialSink<S>{partial}, outputs, s.size, chunks);
  } else {
    launch_columns<Op>(source, PartialSink<S>{partial}, s, chunks);
  }
  launch_rows<Op>(PartialSource<S>{partial}, sink, outputs, chunks, 1);
}

}  // namespace axon::cuda_backend
