#pragma once
// Per-thread buffers reused across calls, one per (element type, slot): OpenMP keeps its threads,
// so a training step's kernels stop allocating their working buffers after its first iteration.
// A slot is any enumerator; enumerators of different enums are different slots.

#include <cstdint>
#include <vector>

namespace axon::cpu {

template <typename T, auto kSlot>
T* scratch(int64_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

}  // namespace axon::cpu
