#include "axon/data/dataloader.h"

#include <omp.h>

#include <mutex>

#include "axon/random.h"

namespace axon::data::detail {

uint64_t draw_epoch_seed() {
  Generator& gen = default_generator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.random64();
}

uint64_t batch_seed(uint64_t epoch_seed, size_t sequence) {
  uint64_t z = epoch_seed + 0x9e3779b97f4a7c15ULL * (sequence + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void prepare_worker_thread() { omp_set_num_threads(1); }

}  // namespace axon::data::detail
